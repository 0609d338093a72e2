/**
 * Titles compare under Unicode case folding (upper then lower maps ß and SS alike) after NFC,
 * so "Éclair" and "ÉCLAIR" collide, which SQLite's ASCII-only lower() would let through.
 * No imports: the integrity audit (scripts/audit.ts) runs this same file on Node.
 */
export const titleKey = (title: string) => title.normalize('NFC').toUpperCase().toLowerCase();
