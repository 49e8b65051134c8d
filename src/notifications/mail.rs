//! E-mail for notifications over SMTP (lettre on the rustls already in the tree). Privacy by
//! construction: a mail says only *that* there is a notification, of which kind, with a link;
//! never a client pseudonym, an action or a case detail. The text comes from the translation
//! table, Dutch first, English second.
//!
//! Notifications wait in an outbox (`mail_pending`); [`flush`] sends them — after each engine
//! run, and whenever a write pokes [`crate::core::Outbox`]. A failed send is retried on the
//! next flush, at most [`GIVE_UP_AFTER`] times.

use crate::core::{Context, Mailer};
use crate::i18n::{Lang, t};
use crate::storage::notifications::Outgoing;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncTransport, Message};

/// Attempts per e-mail before it leaves the outbox.
pub const GIVE_UP_AFTER: i64 = 5;

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

/// The e-mail that gives an account's holder his activation link, in Dutch and English. It goes
/// to him alone, so that neither administrator of the four eyes holds the link.
pub fn compose_activation(from: &Mailbox, email: &str, url: &str) -> Option<Message> {
    let to: Mailbox = email.parse().ok()?;
    let body = [Lang::Nl, Lang::En]
        .iter()
        .map(|&lang| format!("{}\n\n{url}", t(lang, "mail.activation")))
        .collect::<Vec<_>>()
        .join("\n\n----\n\n");
    let subject = format!("{} / {}", t(Lang::Nl, "mail.activation_subject"), t(Lang::En, "mail.activation_subject"));
    Message::builder().from(from.clone()).to(to).subject(subject).header(ContentType::TEXT_PLAIN).body(body).ok()
}

/// Sends an activation link to the account's holder now (it is never stored, so it cannot wait
/// in the outbox); whether the SMTP server accepted it.
pub async fn send_activation(mailer: &Mailer, email: &str, url: &str) -> bool {
    let Some(message) = compose_activation(mailer.from(), email, url) else {
        tracing::warn!("no valid e-mail address for an activation link; not sent");
        return false;
    };
    match mailer.transport().send(message).await {
        Ok(_) => true,
        Err(e) => {
            tracing::warn!(error = %e, "activation link not sent");
            false
        }
    }
}

/// The e-mail that brings one person his invite link, in Dutch and English: when, and the link.
/// Nothing about the case (no pseudonym, no purpose): the link itself shows the rest.
pub fn compose_invite(
    from: &Mailbox,
    email: &str,
    url: &str,
    scheduled_at: chrono::DateTime<chrono::Utc>,
) -> Option<Message> {
    let to: Mailbox = email.parse().ok()?;
    let when = crate::timezone::to_local(scheduled_at).format("%d-%m-%Y %H:%M").to_string();
    let body = [Lang::Nl, Lang::En]
        .iter()
        .map(|&lang| {
            format!(
                "{}\n\n{url}\n\n{}",
                t(lang, "mail.invite").replace("{when}", &when),
                t(lang, "mail.invite_personal")
            )
        })
        .collect::<Vec<_>>()
        .join("\n\n----\n\n");
    let subject = format!("{} / {}", t(Lang::Nl, "mail.invite_subject"), t(Lang::En, "mail.invite_subject"));
    Message::builder().from(from.clone()).to(to).subject(subject).header(ContentType::TEXT_PLAIN).body(body).ok()
}

/// Sends an invite link now (the link is not stored, so it does not wait in the outbox);
/// whether the SMTP server accepted it.
pub async fn send_invite(mailer: &Mailer, email: &str, url: &str, scheduled_at: chrono::DateTime<chrono::Utc>) -> bool {
    let Some(message) = compose_invite(mailer.from(), email, url, scheduled_at) else {
        tracing::warn!("no valid e-mail address for an invite link; not sent");
        return false;
    };
    match mailer.transport().send(message).await {
        Ok(_) => true,
        Err(e) => {
            tracing::warn!(error = %e, "invite link not sent");
            false
        }
    }
}

/// Sends what waits in the outbox; the number of e-mails the SMTP server accepted.
pub async fn flush(cx: &Context) -> Result<usize, sqlx::Error> {
    let Some(mailer) = cx.outbox.mailer() else {
        return Ok(0);
    };
    let mut sent = 0;
    for outgoing in cx.store.outbox(100).await? {
        let accepted = match compose(mailer.from(), &outgoing, &cx.settings.public_url) {
            Some(message) => match mailer.transport().send(message).await {
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
        cx.store.mail_attempted(outgoing.id, accepted, GIVE_UP_AFTER, cx.clock.now()).await?;
    }
    Ok(sent)
}

/// Sends the outbox whenever a write pokes it, and once a minute for retries, until `stop`.
pub fn spawn_outbox(cx: Context, stop: tokio_util::sync::CancellationToken) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = cx.outbox.notified() => {}
                _ = tokio::time::sleep(std::time::Duration::from_secs(60)) => {}
            }
            if let Err(e) = flush(&cx).await {
                tracing::error!(error = %e, "e-mail outbox could not be read");
            }
        }
    })
}
