-- CORE_TRANSACTION_DATA rows from the raw Razorpay landing zone: one row per captured payment.
-- A payment is reported by several events (payment.captured, order.paid, payment_link.paid or
-- payment_link.partially_paid) and any of them may be redelivered; the row takes each field from
-- whichever event carries it and the first time one arrived. Our notes on the link (link_id,
-- loan_id, emi_number, lender) map the payment back to the EMI.
with raw as (

    select * from {{ source('razorpay', 'raw_webhooks') }}

),

captured as (

    select
        json_extract_string(body, '$.payload.payment.entity.id') as payment_id,
        json_extract_string(body, '$.payload.payment.entity.notes.link_id') as link_id,
        json_extract_string(body, '$.payload.payment_link.entity.id') as provider_link_id,
        json_extract_string(body, '$.account_id') as account_id,
        json_extract_string(body, '$.payload.payment.entity.notes.loan_id') as loan_id,
        json_extract_string(body, '$.payload.payment.entity.notes.lender') as lender,
        cast(json_extract_string(body, '$.payload.payment.entity.notes.emi_number') as integer) as emi_number,
        cast(json_extract_string(body, '$.payload.payment.entity.amount') as bigint) as amount,
        upper(json_extract_string(body, '$.payload.payment.entity.currency')) as currency,
        json_extract_string(body, '$.payload.payment.entity.method') as method,
        cast(json_extract_string(body, '$.payload.payment.entity.created_at') as bigint) as created_at_epoch,
        cast("receivedAt" as timestamp) as received_at
    from raw
    where event in ('payment.captured', 'order.paid', 'payment_link.paid', 'payment_link.partially_paid')
      and json_extract_string(body, '$.payload.payment.entity.status') = 'captured'

)

select
    payment_id,
    max(link_id) as link_id,
    'razorpay' as provider,
    max(provider_link_id) as provider_link_id,
    max(account_id) as account_id,
    max(loan_id) as loan_id,
    max(lender) as lender,
    max(emi_number) as emi_number,
    max(amount) as amount,
    max(currency) as currency,
    max(method) as method,
    to_timestamp(min(created_at_epoch)) as captured_at,
    min(received_at) as first_received_at
from captured
where payment_id is not null
group by payment_id
