//! The auth flows' mails as PocketBase 0.40 writes them (`mails/record.go`): the collection's template (or
//! PocketBase's default) with its placeholders resolved, inside PocketBase's HTML layout: verification,
//! password reset, email change, one-time password and login alert.

use serde_json::Value;

use super::Auth;
use crate::mail::{Mailer, Message};
use crate::meta::FieldKind;
use crate::server::EmailTemplate;

/// The record mails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Verification,
    ResetPassword,
    ConfirmEmailChange,
    Otp,
    AuthAlert,
}

impl Kind {
    /// The collection's template for this mail, PocketBase's default without one.
    pub fn template(self, settings: &crate::server::AuthSettings) -> EmailTemplate {
        let (own, default) = match self {
            Kind::Verification => (settings.verification_template, VERIFICATION),
            Kind::ResetPassword => (settings.reset_password_template, RESET_PASSWORD),
            Kind::ConfirmEmailChange => (settings.confirm_email_change_template, CONFIRM_EMAIL_CHANGE),
            Kind::Otp => (settings.otp_template, OTP),
            Kind::AuthAlert => (settings.auth_alert_template, AUTH_ALERT),
        };
        own.unwrap_or(default)
    }
}

/// The mail to `to` for `auth`'s record with `token`: `{APP_NAME}`, `{APP_URL}`, `{TOKEN}` and
/// `{RECORD:field}` (every field that is not hidden, HTML-escaped unless a date, bool or number) replaced
/// in the subject and body, and the body put in the layout.
pub fn message(mailer: &Mailer, template: EmailTemplate, auth: &Auth, token: &str, to: &str) -> Message {
    message_with(mailer, template, auth, &[("{TOKEN}", token.to_owned())], to)
}

/// [`message`] with other placeholders than `{TOKEN}` (`{OTP}` and `{OTP_ID}`, `{ALERT_INFO}`).
pub fn message_with(
    mailer: &Mailer,
    template: EmailTemplate,
    auth: &Auth,
    extra: &[(&str, String)],
    to: &str,
) -> Message {
    let mut placeholders: Vec<(String, String)> =
        vec![("{APP_NAME}".into(), mailer.app_name().to_owned()), ("{APP_URL}".into(), mailer.app_url().to_owned())];
    placeholders.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    for f in auth.collection.fields.iter().filter(|f| !f.hidden) {
        let value = auth.record.get(f.name).map(go_string).unwrap_or_default();
        let value = match f.kind {
            FieldKind::Autodate { .. } | FieldKind::Date { .. } | FieldKind::Bool | FieldKind::Number { .. } => value,
            _ => escape_html(&value),
        };
        placeholders.push((format!("{{RECORD:{}}}", f.name), value));
    }
    let (mut subject, mut body) = (template.subject.to_owned(), template.body.to_owned());
    for (key, value) in &placeholders {
        subject = subject.replace(key, value);
        body = body.replace(key, value);
    }
    Message { to: to.to_owned(), subject, html: LAYOUT.replacen(CONTENT, &body, 1) }
}

/// `cast.ToString` of a stored value (`Record.GetString`): lists are `""`, JSON values their JSON text.
fn go_string(v: &Value) -> String {
    match v {
        Value::Null | Value::Array(_) => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.as_f64().map(crate::validate::gofmt::format_float_f).unwrap_or_default(),
        Value::Object(_) => v.to_string(),
    }
}

/// Go's `html.EscapeString`.
pub(super) fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\'' => out.push_str("&#39;"),
            '"' => out.push_str("&#34;"),
            c => out.push(c),
        }
    }
    out
}

/// A default template as PocketBase words it: its greeting, the `lines` (one per line), its signature.
/// The auth_flows and auth_otp_mfa_pocketbase tests compare the mails with PocketBase's byte for byte.
macro_rules! template {
    ($subject:literal, $($lines:expr),+ $(,)?) => {
        EmailTemplate {
            subject: $subject,
            body: concat!("<p>Hello,</p>\n", $($lines, "\n",)+ "<p>\n  Thanks,<br/>\n  {APP_NAME} team\n</p>"),
        }
    };
}

/// The button of a mail with a token: a link to the Dashboard's page `path` for it.
macro_rules! button {
    ($path:literal, $label:literal) => {
        concat!(
            "<p>\n  <a class=\"btn\" href=\"{APP_URL}/_/#/auth/",
            $path,
            "/{TOKEN}\" target=\"_blank\" rel=\"noopener\">",
            $label,
            "</a>\n</p>"
        )
    };
}

const VERIFICATION: EmailTemplate = template!(
    "Verify your {APP_NAME} email",
    "<p>Thank you for joining us at {APP_NAME}.</p>",
    "<p>Click on the button below to verify your email address.</p>",
    button!("confirm-verification", "Verify"),
    "<p><i>If you didn't recently register, please ignore this email.</i></p>",
);

const RESET_PASSWORD: EmailTemplate = template!(
    "Reset your {APP_NAME} password",
    "<p>Click on the button below to reset your password.</p>",
    button!("confirm-password-reset", "Reset password"),
    "<p><i>If you didn't ask to reset your password, please ignore this email.</i></p>",
);

const CONFIRM_EMAIL_CHANGE: EmailTemplate = template!(
    "Confirm your {APP_NAME} new email address",
    "<p>Click on the button below to confirm your new email address.</p>",
    button!("confirm-email-change", "Confirm new email"),
    "<p><i>If you didn't ask to change your email address, please ignore this email.</i></p>",
);

const OTP: EmailTemplate = template!(
    "OTP for {APP_NAME}",
    "<p>Your one-time password is: <strong>{OTP}</strong></p>",
    "<p><i>If you didn't ask for the one-time password, you can ignore this email.</i></p>",
);

const AUTH_ALERT: EmailTemplate = template!(
    "Login from a new location",
    "<p>We noticed a login to your {APP_NAME} account from a new location:</p>",
    "<p><em>{ALERT_INFO}</em></p>",
    "<p><strong>If this wasn't you, you should immediately change your {APP_NAME} account password to revoke access from all other locations.</strong></p>",
    "<p>If this was you, you may disregard this email.</p>",
);

/// Where the body goes in [`LAYOUT`].
const CONTENT: &str = "{{template \"content\" .}}";

/// PocketBase's `mails/templates.Layout` as the 0.40.6 binary sends it (the source has a stray `;;`).
const LAYOUT: &str = r#"
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
    <meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
    <meta name="viewport" content="width=device-width,initial-scale=1" />
    <style>
        body, html {
            padding: 0;
            margin: 0;
            border: 0;
            color: #16161a;
            background: #fff;
            font-size: 14px;
            line-height: 20px;
            font-weight: normal;
            font-family: Source Sans Pro, sans-serif, emoji;
        }
        body {
            padding: 20px 30px;
        }
        strong {
            font-weight: bold;
        }
        em, i {
            font-style: italic;
        }
        p {
            display: block;
            margin: 10px 0;
            font-family: inherit;
        }
        small {
            font-size: 12px;
            line-height: 16px;
        }
        hr {
            display: block;
            height: 1px;
            border: 0;
            width: 100%;
            background: #e1e6ea;
            margin: 10px 0;
        }
        a {
            color: inherit;
        }
        .hidden {
            display: none !important;
        }
        .btn {
            display: inline-block;
            vertical-align: top;
            border: 0;
            cursor: pointer;
            color: #fff !important;
            background: #16161a !important;
            text-decoration: none !important;
            line-height: 40px;
            width: auto;
            min-width: 150px;
            text-align: center;
            padding: 0 20px;
            margin: 5px 0;
            font-family: Source Sans Pro, sans-serif, emoji;
            font-size: 14px;
            font-weight: bold;
            border-radius: 6px;
            box-sizing: border-box;
        }
    </style>
</head>
<body>
    {{template "content" .}}
</body>
</html>
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_as_go_prints_them() {
        assert_eq!(go_string(&serde_json::json!(4.5)), "4.5");
        assert_eq!(go_string(&serde_json::json!(100)), "100");
        assert_eq!(go_string(&serde_json::json!(true)), "true");
        assert_eq!(go_string(&serde_json::json!(["a"])), "");
        assert_eq!(go_string(&serde_json::json!({"lon": 1, "lat": 2})), r#"{"lon":1,"lat":2}"#);
        assert_eq!(
            escape_html(r#"<a href="x">O'Neil & co</a>"#),
            "&lt;a href=&#34;x&#34;&gt;O&#39;Neil &amp; co&lt;/a&gt;"
        );
    }

    #[test]
    fn the_layout_has_one_content_slot() {
        assert_eq!(LAYOUT.matches(CONTENT).count(), 1);
    }
}
