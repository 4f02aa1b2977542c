/** Bitwise ("C") order of ids and namespace names, as Pinecone lists them: UTF-16 code units, compared in turn. */
export const bitwise = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
