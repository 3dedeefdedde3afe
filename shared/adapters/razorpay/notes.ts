/** Razorpay's notes rules are part of its contract: they live in the domain. */
export * from '../../domain/razorpay/notes';
