/**
 * What a loan can be found by (architecture §4d): its id (prefix, any case), the last 10 digits
 * of its phone, and each word of the client's name (prefix, any case). Terms are lower-case and
 * free of `#` (the key separator); the search use case normalizes a query the same way.
 */
/** What a search entry indexes: a loan's id, its phone, or one word of its client's name. */
export type SearchKind = 'loan' | 'phone' | 'name';

export interface SearchTerm {
  kind: SearchKind;
  term: string;
}

/** Digits only, the last 10 (an Indian mobile number without +91 / 0). */
export function phoneKey(phone: string): string {
  return phone.replace(/\D/g, '').slice(-10);
}

export function loanKey(loanId: string): string {
  return loanId.toLowerCase().replace(/#/g, '');
}

/** Words of a name, lower-case, letters and digits of any script kept together. */
export function nameWords(name: string): string[] {
  return name
    .normalize('NFKC')
    .toLowerCase()
    .split(/[^\p{L}\p{M}\p{N}]+/u)
    .filter((w) => w.length > 0);
}

export function searchTerms(loan: { loanId: string; phone: string; clientName: string }): SearchTerm[] {
  const terms: SearchTerm[] = [{ kind: 'loan', term: loanKey(loan.loanId) }];
  const phone = phoneKey(loan.phone);
  if (phone.length > 0) terms.push({ kind: 'phone', term: phone });
  for (const w of new Set(nameWords(loan.clientName)).values()) terms.push({ kind: 'name', term: w });
  return terms;
}
