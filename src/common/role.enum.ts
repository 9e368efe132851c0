export enum Role {
  User = 'user',
  Admin = 'admin',
}

export const ALL_ROLES: readonly Role[] = Object.values(Role);
