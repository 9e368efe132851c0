/** What each scope lets an app do, in the words the consent page shows. */
const DESCRIPTIONS: Readonly<Record<string, string>> = {
  openid: 'Know that it is you when you sign in',
  profile: 'See your name and username',
  email: 'See your email address and whether it is verified',
  offline_access: 'Stay signed in when you are not using it',
};

/** The scopes in words; a scope we have no words for is named as it is (escaped on the page). */
export function describeScopes(scopes: readonly string[]): string[] {
  return [...new Set(scopes)].map(
    (scope) => DESCRIPTIONS[scope] ?? `Use the permission “${scope}”`,
  );
}
