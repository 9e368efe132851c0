import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsString,
  Length,
  Matches,
  MaxLength,
} from 'class-validator';
import { Role } from '../../common/role.enum.js';
import { IsOmittable, IsRoleList } from '../../common/validation/fields.js';
import {
  GRANT_TYPES,
  type ClientMetadataInput,
  type GrantType,
  type TokenEndpointAuthMethod,
  TOKEN_ENDPOINT_AUTH_METHODS,
} from '../client-metadata.js';
import { REDIRECT_URI_MAX_LENGTH } from '../redirect-uri.js';

const trimmed = Transform(({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.trim() : value,
);

/**
 * RFC 7591 client metadata. The shape of each field is checked here; the
 * rules for redirect URIs and between fields in `resolveClientMetadata`,
 * which the CLI's registrations pass through too.
 */
export class CreateClientDto implements ClientMetadataInput {
  /** What the app or service is called (shown to users on the consent page). @example Billing */
  @IsOmittable()
  @trimmed
  @IsString()
  @Length(1, 100)
  client_name?: string;

  /** Older spelling of `client_name`; when both are sent they must be equal. @example billing-service */
  @IsOmittable()
  @trimmed
  @IsString()
  @Length(1, 100)
  name?: string;

  /**
   * Where users return after signing in: `https`, loopback `http://127.0.0.1`
   * or `http://[::1]` (any port), or a reverse-domain scheme for mobile apps
   * (`com.example.app:/cb`). No fragments, no wildcards; matched exactly.
   */
  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @MaxLength(REDIRECT_URI_MAX_LENGTH, { each: true })
  redirect_uris?: string[];

  /** Where users may return after signing out; same rules as `redirect_uris`. */
  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @MaxLength(REDIRECT_URI_MAX_LENGTH, { each: true })
  post_logout_redirect_uris?: string[];

  /**
   * Default `["authorization_code"]` with redirect URIs, `["client_credentials"]` without.
   * @example ["authorization_code","refresh_token"]
   */
  @IsOmittable()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayUnique()
  @IsIn(GRANT_TYPES, { each: true })
  grant_types?: GrantType[];

  /** Default `client_secret_basic`; `none` registers a public client without a secret. */
  @IsOmittable()
  @IsIn(TOKEN_ENDPOINT_AUTH_METHODS)
  token_endpoint_auth_method?: TokenEndpointAuthMethod;

  /** Space-separated scopes the client may ask for (`openid profile email offline_access`). */
  @IsOmittable()
  @IsString()
  @MaxLength(200)
  @Matches(/^(?:[a-z_]+(?: [a-z_]+)*)?$/, { message: 'scope must be space-separated scope names' })
  scope?: string;

  /** Our own app: users are not asked for consent. Default false. */
  @IsOmittable()
  @IsBoolean()
  first_party?: boolean;

  /** Roles carried by the client's own tokens (client-credentials grant only; none by default). */
  @IsOmittable()
  @IsRoleList()
  roles?: Role[];
}
