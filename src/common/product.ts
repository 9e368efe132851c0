/** What the server calls itself to people: on every hosted page and in every mail. */
export const PRODUCT_NAME = 'Auth server';
