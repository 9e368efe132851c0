/**
 * One plain address (local@domain): no display name, list, comment or line
 * break, so that nothing a user typed can add a recipient or a header.
 */
const PLAIN_ADDRESS = /^[^\s@<>,;:"()[\]\\]+@[^\s@<>,;:"()[\]\\]+$/;

export function assertPlainAddress(to: string): void {
  if (to.length > 254 || !PLAIN_ADDRESS.test(to)) {
    throw new Error('a mail goes to one plain address (local@domain)');
  }
}
