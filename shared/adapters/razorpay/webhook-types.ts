/** Razorpay's webhook event shapes are part of its contract: they live in the domain. */
export * from '../../domain/razorpay/events';
