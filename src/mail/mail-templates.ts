import { Eta } from 'eta';

/** The mails the server sends, each with the data it is rendered from (docs/email.md#templates). */
export type MailTemplate =
  | 'verify-email' // data: { username, link, expiresInMinutes }
  | 'confirm-email-change' // data: { username, link, newEmail, expiresInMinutes } (to the NEW address)
  | 'email-change-notice' // data: { username, newEmail, reportLink } (to the OLD address)
  | 'reset-password' // data: { username, link, expiresInMinutes }
  | 'password-changed' // data: { username, when } (after a reset or a change)
  | 'email-in-use' // data: {} (to an address someone tried to take that already has an account)
  | 'test'; // data: {}

export type MailData = Record<string, string | number>;

/** A rendered mail, ready for a transport. */
export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

interface TemplateSource {
  /** The fields `data` must have. */
  fields: readonly string[];
  subject: string;
  /** Eta, rendered without escaping. */
  text: string;
  /** Eta, rendered with HTML escaping, inside the layout. */
  html: string;
}

const IGNORE = 'If you did not ask for this, you can ignore this mail.';

const TEMPLATES: Record<MailTemplate, TemplateSource> = {
  'verify-email': {
    fields: ['username', 'link', 'expiresInMinutes'],
    subject: 'Confirm your e-mail address',
    text: `Hello <%= it.username %>,

please confirm that this is your e-mail address by opening this link:

<%= it.link %>

The link works once, for <%= it.expiresInMinutes %> minutes. ${IGNORE}
`,
    html: `<p>Hello <%= it.username %>,</p>
<p>please confirm that this is your e-mail address:</p>
<p><a href="<%= it.link %>">Confirm my e-mail address</a></p>
<p>The link works once, for <%= it.expiresInMinutes %> minutes. ${IGNORE}</p>`,
  },
  'confirm-email-change': {
    fields: ['username', 'link', 'newEmail', 'expiresInMinutes'],
    subject: 'Confirm your new e-mail address',
    text: `Hello <%= it.username %>,

you asked to change the e-mail address of your account to <%= it.newEmail %>. Open this link to confirm it:

<%= it.link %>

The link works once, for <%= it.expiresInMinutes %> minutes. Until then your old address stays in use. ${IGNORE}
`,
    html: `<p>Hello <%= it.username %>,</p>
<p>you asked to change the e-mail address of your account to <strong><%= it.newEmail %></strong>.</p>
<p><a href="<%= it.link %>">Confirm my new e-mail address</a></p>
<p>The link works once, for <%= it.expiresInMinutes %> minutes. Until then your old address stays in use. ${IGNORE}</p>`,
  },
  'email-change-notice': {
    fields: ['username', 'newEmail', 'reportLink'],
    subject: 'Your e-mail address is being changed',
    text: `Hello <%= it.username %>,

someone asked to change the e-mail address of your account to <%= it.newEmail %>. It changes once the new address is confirmed.

If this was not you, report it here and change your password:

<%= it.reportLink %>
`,
    html: `<p>Hello <%= it.username %>,</p>
<p>someone asked to change the e-mail address of your account to <strong><%= it.newEmail %></strong>. It changes once the new address is confirmed.</p>
<p>If this was not you, <a href="<%= it.reportLink %>">report it</a> and change your password.</p>`,
  },
  'reset-password': {
    fields: ['username', 'link', 'expiresInMinutes'],
    subject: 'Reset your password',
    text: `Hello <%= it.username %>,

open this link to choose a new password:

<%= it.link %>

The link works once, for <%= it.expiresInMinutes %> minutes. ${IGNORE} Your password stays as it is.
`,
    html: `<p>Hello <%= it.username %>,</p>
<p><a href="<%= it.link %>">Choose a new password</a></p>
<p>The link works once, for <%= it.expiresInMinutes %> minutes. ${IGNORE} Your password stays as it is.</p>`,
  },
  'password-changed': {
    fields: ['username', 'when'],
    subject: 'Your password was changed',
    text: `Hello <%= it.username %>,

the password of your account was changed (<%= it.when %>), and every session was signed out.

If this was not you, reset your password at once and tell your administrator.
`,
    html: `<p>Hello <%= it.username %>,</p>
<p>the password of your account was changed (<%= it.when %>), and every session was signed out.</p>
<p>If this was not you, reset your password at once and tell your administrator.</p>`,
  },
  'email-in-use': {
    fields: [],
    subject: 'Your e-mail address was entered again',
    text: `Hello,

someone tried to use this e-mail address for an account, but it already belongs to one. If that was you, sign in, or reset your password if you have forgotten it.

${IGNORE}
`,
    html: `<p>Hello,</p>
<p>someone tried to use this e-mail address for an account, but it already belongs to one. If that was you, sign in, or reset your password if you have forgotten it.</p>
<p>${IGNORE}</p>`,
  },
  test: {
    fields: [],
    subject: 'Test mail',
    text: `This is a test mail. Mail delivery works.
`,
    html: `<p>This is a test mail. Mail delivery works.</p>`,
  },
};

// "-- " (with the space) is the signature separator mail clients recognise.
const TEXT_LAYOUT = `<%~ it.body %>
-- 
<%= it.productName %>
`;

const HTML_LAYOUT = `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8"><title><%= it.subject %></title></head>
  <body style="font-family: system-ui, sans-serif; line-height: 1.5; color: #1a1a1a">
    <p style="font-weight: 600"><%= it.productName %></p>
<%~ it.body %>
  </body>
</html>
`;

/**
 * Renders the mails: text and HTML from the same data, the HTML escaped
 * (a username is never markup), the product's name in the subject and
 * below each body.
 */
export class MailTemplates {
  private readonly text = new Eta({ autoEscape: false, autoTrim: false });
  private readonly html = new Eta({ autoEscape: true, autoTrim: false });

  constructor(private readonly productName: string) {
    for (const [name, source] of Object.entries(TEMPLATES)) {
      this.text.loadTemplate(`@${name}`, source.text);
      this.html.loadTemplate(`@${name}`, source.html);
    }
    this.text.loadTemplate('@layout', TEXT_LAYOUT);
    this.html.loadTemplate('@layout', HTML_LAYOUT);
  }

  static isTemplate(name: string): name is MailTemplate {
    return Object.hasOwn(TEMPLATES, name);
  }

  /** Throws when `data` lacks a field the template shows. */
  check(template: MailTemplate, data: MailData): void {
    const missing = TEMPLATES[template].fields.filter((field) => data[field] === undefined);
    if (missing.length > 0) {
      throw new Error(`the "${template}" mail needs ${missing.join(', ')}`);
    }
  }

  render(template: MailTemplate, data: MailData): RenderedMail {
    const subject = `${TEMPLATES[template].subject} · ${this.productName}`;
    const layout = { productName: this.productName, subject };
    return {
      subject,
      text: this.text.render('@layout', {
        ...layout,
        body: this.text.render(`@${template}`, data),
      }),
      html: this.html.render('@layout', {
        ...layout,
        body: this.html.render(`@${template}`, data),
      }),
    };
  }
}
