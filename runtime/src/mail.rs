//! Outgoing mail: the auth flows' messages (verification, password reset, email change).
//!
//! With an SMTP server configured (`serve --smtp-host …`, see [`MailArgs`]) a message is sent through it
//! with `lettre`, as PocketBase's SMTP client sends it: STARTTLS when the server offers it (or implicit TLS
//! with `--smtp-tls`), PLAIN or LOGIN auth when a username or password is given, `EHLO localhost` unless
//! `--smtp-local-name` says otherwise. Without one, the whole message is written to the log at INFO, so a
//! developer can copy the link or token from there.
//!
//! [`MailArgs`] also carries what PocketBase keeps in its settings' `meta`: the application name and URL
//! (the `{APP_NAME}` and `{APP_URL}` of mail templates) and the sender, with PocketBase's defaults.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message as Email};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

/// SMTP authentication mechanisms, as PocketBase's `smtp.authMethod` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthMethod {
    #[value(name = "PLAIN")]
    Plain,
    #[value(name = "LOGIN")]
    Login,
}

/// The mail options of `serve` (each also read from its environment variable).
#[derive(Debug, Clone, clap::Args)]
pub struct MailArgs {
    /// SMTP server host. Without it, mails are written to the log instead of being sent.
    #[arg(long, env = "PB_SMTP_HOST")]
    pub smtp_host: Option<String>,
    /// SMTP server port.
    #[arg(long, env = "PB_SMTP_PORT", default_value_t = 587)]
    pub smtp_port: u16,
    /// SMTP username (no authentication when both username and password are empty).
    #[arg(long, env = "PB_SMTP_USERNAME", default_value = "")]
    pub smtp_username: String,
    /// SMTP password (prefer the environment variable: command lines are visible to other users).
    #[arg(long, env = "PB_SMTP_PASSWORD", default_value = "", hide_env_values = true, hide_default_value = true)]
    pub smtp_password: String,
    /// SMTP authentication method.
    #[arg(long, env = "PB_SMTP_AUTH_METHOD", value_enum, default_value = "PLAIN")]
    pub smtp_auth_method: AuthMethod,
    /// Connect with implicit TLS (usually port 465). Otherwise STARTTLS is used when the server offers it.
    #[arg(long, env = "PB_SMTP_TLS")]
    pub smtp_tls: bool,
    /// The name this server gives in the SMTP EHLO/HELO greeting.
    #[arg(long, env = "PB_SMTP_LOCAL_NAME", default_value = "localhost")]
    pub smtp_local_name: String,
    /// The application name, `{APP_NAME}` in mail templates.
    #[arg(long, env = "PB_APP_NAME", default_value = "Acme")]
    pub app_name: String,
    /// The application's public URL, `{APP_URL}` in mail templates (links in mails point there).
    #[arg(long, env = "PB_APP_URL", default_value = "http://localhost:8090")]
    pub app_url: String,
    /// The sender name of mails.
    #[arg(long, env = "PB_SENDER_NAME", default_value = "Support")]
    pub sender_name: String,
    /// The sender address of mails.
    #[arg(long, env = "PB_SENDER_ADDRESS", default_value = "support@example.com")]
    pub sender_address: String,
}

impl Default for MailArgs {
    /// PocketBase's defaults, no SMTP server: mails go to the log.
    fn default() -> Self {
        MailArgs {
            smtp_host: None,
            smtp_port: 587,
            smtp_username: String::new(),
            smtp_password: String::new(),
            smtp_auth_method: AuthMethod::Plain,
            smtp_tls: false,
            smtp_local_name: "localhost".into(),
            app_name: "Acme".into(),
            app_url: "http://localhost:8090".into(),
            sender_name: "Support".into(),
            sender_address: "support@example.com".into(),
        }
    }
}

/// One message: HTML body, one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub to: String,
    pub subject: String,
    pub html: String,
}

/// Sends (or logs) mails; cheap to clone.
#[derive(Clone)]
pub struct Mailer {
    inner: Arc<Inner>,
}

struct Inner {
    args: MailArgs,
    from: Mailbox,
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
    /// Keys of mails sent recently and until when they count as recent (PocketBase's resend limits).
    recent: Mutex<HashMap<String, Instant>>,
}

impl Default for Mailer {
    fn default() -> Self {
        Mailer::new(MailArgs::default()).expect("the default mail settings are valid")
    }
}

impl Mailer {
    /// A mailer for the options; an error for an invalid sender address or TLS setup.
    pub fn new(args: MailArgs) -> Result<Self, String> {
        let address =
            args.sender_address.parse().map_err(|e| format!("sender address {:?}: {e}", args.sender_address))?;
        let from = Mailbox::new(Some(args.sender_name.clone()).filter(|n| !n.is_empty()), address);
        let smtp = match &args.smtp_host {
            Some(host) if !host.is_empty() => Some(transport(&args, host)?),
            _ => None,
        };
        Ok(Mailer { inner: Arc::new(Inner { args, from, smtp, recent: Mutex::new(HashMap::new()) }) })
    }

    /// `{APP_NAME}`.
    pub fn app_name(&self) -> &str {
        &self.inner.args.app_name
    }

    /// `{APP_URL}`.
    pub fn app_url(&self) -> &str {
        &self.inner.args.app_url
    }

    /// Sends the message through the SMTP server, or logs it when there is none.
    pub async fn send(&self, message: Message) -> Result<(), String> {
        let Some(smtp) = &self.inner.smtp else {
            tracing::info!(
                "no SMTP server configured (serve --smtp-host), so this mail was not sent:\nFrom: {}\nTo: {}\nSubject: {}\n\n{}",
                self.inner.from,
                message.to,
                message.subject,
                body_content(&message.html)
            );
            return Ok(());
        };
        let email = self.email(&message)?;
        smtp.send(email).await.map(drop).map_err(|e| format!("sending mail to {}: {e}", message.to))
    }

    fn email(&self, message: &Message) -> Result<Email, String> {
        let to: Mailbox = message.to.parse().map_err(|e| format!("recipient {:?}: {e}", message.to))?;
        // PocketBase's Message-ID: 15 random characters at the sender's domain.
        let domain = self.inner.from.email.domain().to_owned();
        let id = crate::auth::secrets::random_alphanumeric(15);
        Email::builder()
            .from(self.inner.from.clone())
            .to(to)
            .subject(&message.subject)
            .message_id(Some(format!("<{id}@{domain}>")))
            .header(ContentType::TEXT_HTML)
            // without its final line break: the SMTP end of data adds one, as it does after PocketBase's
            .body(message.html.strip_suffix('\n').unwrap_or(&message.html).to_owned())
            .map_err(|e| e.to_string())
    }

    /// Whether a mail of `key` went out within its limit (see [`Mailer::limit`]).
    pub fn is_limited(&self, key: &str) -> bool {
        let mut recent = self.inner.recent.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        recent.retain(|_, until| *until > now);
        recent.contains_key(key)
    }

    /// Marks a mail of `key` as sent: [`Mailer::is_limited`] holds for `duration`.
    pub fn limit(&self, key: String, duration: Duration) {
        self.inner.recent.lock().unwrap_or_else(|p| p.into_inner()).insert(key, Instant::now() + duration);
    }

    /// Lifts the limit of `key` (the flow it guarded was completed).
    pub fn unlimit(&self, key: &str) {
        self.inner.recent.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
    }
}

/// What is between `<body>` and `</body>` (the mail's text without the layout's styles), else everything.
fn body_content(html: &str) -> &str {
    let Some((_, rest)) = html.split_once("<body>") else { return html };
    rest.rsplit_once("</body>").map_or(rest, |(inner, _)| inner).trim()
}

fn transport(args: &MailArgs, host: &str) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let tls = TlsParameters::new(host.to_owned()).map_err(|e| format!("SMTP TLS for {host}: {e}"))?;
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(args.smtp_port)
        .tls(if args.smtp_tls { Tls::Wrapper(tls) } else { Tls::Opportunistic(tls) })
        .hello_name(ClientId::Domain(args.smtp_local_name.clone()));
    if !args.smtp_username.is_empty() || !args.smtp_password.is_empty() {
        let mechanism = match args.smtp_auth_method {
            AuthMethod::Plain => Mechanism::Plain,
            AuthMethod::Login => Mechanism::Login,
        };
        builder = builder
            .credentials(Credentials::new(args.smtp_username.clone(), args.smtp_password.clone()))
            .authentication(vec![mechanism]);
    }
    Ok(builder.build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pocketbase_defaults_log_instead_of_sending() {
        let mailer = Mailer::default();
        assert!(mailer.inner.smtp.is_none());
        assert_eq!((mailer.app_name(), mailer.app_url()), ("Acme", "http://localhost:8090"));
        assert_eq!(mailer.inner.from.to_string(), "Support <support@example.com>");
    }

    #[test]
    fn a_message_is_html_from_the_sender() {
        let mailer = Mailer::default();
        let message = Message { to: "a@b.co".into(), subject: "Hi {x}".into(), html: "<p>x</p>".into() };
        let text = String::from_utf8(mailer.email(&message).unwrap().formatted()).unwrap();
        assert!(text.contains("From: Support <support@example.com>\r\n"), "{text}");
        assert!(text.contains("To: a@b.co\r\n"), "{text}");
        assert!(text.contains("Content-Type: text/html; charset=utf-8\r\n"), "{text}");
        assert!(text.contains("@example.com>\r\n"), "{text}");
        assert!(Mailer::new(MailArgs { sender_address: "nope".into(), ..MailArgs::default() }).is_err());
    }

    #[test]
    fn the_log_shows_the_body_content() {
        assert_eq!(body_content("<html><style>x</style><body>\n  <p>hi</p>\n</body></html>"), "<p>hi</p>");
        assert_eq!(body_content("<p>no layout</p>"), "<p>no layout</p>");
    }

    #[test]
    fn limits_expire() {
        let mailer = Mailer::default();
        assert!(!mailer.is_limited("k"));
        mailer.limit("k".into(), Duration::from_secs(60));
        assert!(mailer.is_limited("k"));
        mailer.unlimit("k");
        assert!(!mailer.is_limited("k"));
        mailer.limit("k".into(), Duration::ZERO);
        assert!(!mailer.is_limited("k"));
    }
}
