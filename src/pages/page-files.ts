import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** The templates, beside this file in the sources and in the build (nest-cli.json copies them). */
export const VIEWS_DIR = path.join(HERE, 'views');

/** The one stylesheet and the icon, served under ASSETS_PREFIX. */
export const ASSETS_DIR = path.join(HERE, 'assets');
export const ASSETS_PREFIX = '/assets/';

/**
 * An asset's address, with a digest of its content: a new build gets a new
 * address, so browsers may keep the old one for a year without asking.
 */
export function assetHref(file: 'pages.css' | 'icon.svg'): string {
  const digest = createHash('sha256')
    .update(readFileSync(path.join(ASSETS_DIR, file)))
    .digest('base64url')
    .slice(0, 12);
  return `${ASSETS_PREFIX}${file}?v=${digest}`;
}
