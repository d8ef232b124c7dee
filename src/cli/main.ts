/**
 * The `zerostack` command line. Placeholder entry until the CLI issue lands.
 */
console.log('zerostack: self-check placeholder');
