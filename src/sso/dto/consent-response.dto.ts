/** An app the user allowed, and what it may receive. */
export class ConsentResponseDto {
  /** @example app_3yS0kq1lZ1vXw8Qe */
  clientId: string;
  clientName: string;
  /** Space-separated scopes allowed. @example openid profile email */
  scope: string;
  grantedAt: Date;
}
