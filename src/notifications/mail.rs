//! E-mail for notifications over SMTP (lettre on the rustls already in the tree). Privacy by
//! construction: a mail says only *that* there is a notification, of which kind, with a link;
//! never a client pseudonym, an action or a case detail. The text comes from the translation
//! table, Dutch first, English second.
//!
//! Notifications wait in an outbox (`mail_pending`); [`flush`] sends them — after each engine
//! run, and whenever a write pokes [`crate::app::AppState::outbox`]. A failed send is retried
//! on the next flush, at most [`GIVE_UP_AFTER`] times.

use crate::app::AppState;
use crate::config::Secret;
use crate::i18n::{Lang, t};
use crate::storage::notifications::Outgoing;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Attempts per e-mail before it leaves the outbox.
pub const GIVE_UP_AFTER: i64 = 5;

/// The SMTP connection and the sender.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The transport holds the SMTP credentials.
        f.debug_struct("Mailer").field("from", &self.from).finish_non_exhaustive()
    }
}

/// Why the mail settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum MailConfigError {
    #[error("the SMTP URL is not usable: {0}")]
    Url(#[from] lettre::transport::smtp::Error),
    #[error("the sender address is not an e-mail address: {0}")]
    From(#[from] lettre::address::AddressError),
}

impl Mailer {
    /// A mailer for `url` (`smtp://`, `smtp://…?tls=required`, `smtps://`) sending as `from`.
    pub fn new(url: &Secret, from: &str) -> Result<Mailer, MailConfigError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())?.build();
        Ok(Mailer { transport, from: from.parse()? })
    }
}

/// The e-mail announcing one notification: its kind and a link, in Dutch and English.
pub fn compose(from: &Mailbox, outgoing: &Outgoing, public_url: &str) -> Option<Message> {
    let to: Mailbox = outgoing.email.parse().ok()?;
    let link = format!("{public_url}/notifications/{}", outgoing.id);
    let key = format!("mail.{}", outgoing.kind);
    let body = [Lang::Nl, Lang::En]
        .iter()
        .map(|&lang| format!("{}\n\n{}\n{link}\n\n{}", t(lang, &key), t(lang, "mail.open"), t(lang, "mail.privacy")))
        .collect::<Vec<_>>()
        .join("\n\n----\n\n");
    let subject = format!("{} / {}", t(Lang::Nl, "mail.subject"), t(Lang::En, "mail.subject"));
    Message::builder().from(from.clone()).to(to).subject(subject).header(ContentType::TEXT_PLAIN).body(body).ok()
}

/// Sends what waits in the outbox; the number of e-mails the SMTP server accepted.
pub async fn flush(state: &AppState) -> Result<usize, sqlx::Error> {
    let Some(mailer) = &state.mailer else {
        return Ok(0);
    };
    let mut sent = 0;
    for outgoing in state.store.outbox(100).await? {
        let accepted = match compose(&mailer.from, &outgoing, &state.settings.public_url) {
            Some(message) => match mailer.transport.send(message).await {
                Ok(_) => true,
                Err(e) => {
                    tracing::warn!(notification = %outgoing.id, attempt = outgoing.mail_attempts + 1,
                        error = %e, "e-mail not sent");
                    false
                }
            },
            None => {
                tracing::warn!(notification = %outgoing.id, "no valid e-mail address; not sent");
                false
            }
        };
        sent += usize::from(accepted);
        state.store.mail_attempted(outgoing.id, accepted, GIVE_UP_AFTER, state.clock.now()).await?;
    }
    Ok(sent)
}

/// Sends the outbox whenever a write pokes it, and once a minute for retries, until `stop`.
pub fn spawn_outbox(state: AppState, stop: tokio_util::sync::CancellationToken) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = state.outbox.notified() => {}
                _ = tokio::time::sleep(std::time::Duration::from_secs(60)) => {}
            }
            if let Err(e) = flush(&state).await {
                tracing::error!(error = %e, "e-mail outbox could not be read");
            }
        }
    })
}
