/**
 * The door's rules, in one place for device and server (neither keeps a copy): a ticket's entry
 * state from its scans, the verdict of a scan, and what the figures count.
 */
export * from './entry';
export * from './verdict';
export * from './counts';
export * from './void';
