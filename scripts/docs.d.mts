/** Generated documentation pages: repository-relative path → content. */
export function nodePages(): Record<string, string>;
