//! The e-mail outbox: notifications wait in the database (`mail_pending`); a write that queues
//! one pokes the outbox, and the outbox task ([`crate::notifications::mail`]) sends them through
//! the configured SMTP server.

use crate::secret::Secret;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use std::sync::Arc;
use tokio::sync::Notify;

/// The outbox's handle: whether e-mail goes out at all, the transport, and the poke.
#[derive(Debug, Clone, Default)]
pub struct Outbox {
    /// Poked after a notification is queued, so its e-mail leaves without waiting for the
    /// engine's next run.
    poke: Arc<Notify>,
    /// The SMTP server; `None` when none is configured (notifications stay in the app).
    mailer: Option<Arc<Mailer>>,
}

impl Outbox {
    /// An outbox that sends through `mailer`, or keeps notifications in the app without one.
    pub fn new(mailer: Option<Mailer>) -> Self {
        Outbox { poke: Arc::new(Notify::new()), mailer: mailer.map(Arc::new) }
    }

    /// Whether notifications are also e-mailed.
    pub fn mails(&self) -> bool {
        self.mailer.is_some()
    }

    /// The SMTP server, if one is configured.
    pub fn mailer(&self) -> Option<&Mailer> {
        self.mailer.as_deref()
    }

    /// Wakes the outbox task: something was queued.
    pub fn poke(&self) {
        self.poke.notify_one();
    }

    /// Resolves when someone pokes.
    pub async fn notified(&self) {
        self.poke.notified().await;
    }
}

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

impl Mailer {
    /// The sender address.
    pub fn from(&self) -> &Mailbox {
        &self.from
    }

    /// The SMTP connection.
    pub fn transport(&self) -> &AsyncSmtpTransport<Tokio1Executor> {
        &self.transport
    }
}
