//! A tiny SMTP server for tests: accepts every message on 127.0.0.1 (no TLS, no auth) and keeps it, parsed
//! with `mail-parser`, for the test to read.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// A received message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// `RCPT TO` addresses.
    pub rcpt: Vec<String>,
    /// `From:` as `Name <address>`.
    pub from: String,
    /// `To:` addresses.
    pub to: Vec<String>,
    pub subject: String,
    /// The HTML body.
    pub html: String,
}

#[derive(Clone, Default)]
pub struct Sink {
    pub port: u16,
    mails: Arc<(Mutex<Vec<Mail>>, Condvar)>,
}

impl Sink {
    /// Listens on a free port; one thread per connection, for the life of the test process.
    pub fn start() -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the SMTP sink");
        let sink = Sink { port: listener.local_addr().unwrap().port(), mails: Default::default() };
        let shared = sink.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let sink = shared.clone();
                std::thread::spawn(move || {
                    let _ = sink.session(stream);
                });
            }
        });
        sink
    }

    fn session(&self, stream: TcpStream) -> std::io::Result<()> {
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        let mut out = stream.try_clone()?;
        let mut lines = BufReader::new(stream);
        out.write_all(b"220 localhost test sink\r\n")?;
        let mut rcpt = Vec::new();
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line)? == 0 {
                return Ok(());
            }
            let command = line.trim_end().to_ascii_uppercase();
            let reply: &[u8] = if command.starts_with("EHLO") {
                b"250-localhost\r\n250 8BITMIME\r\n"
            } else if command.starts_with("RCPT TO:") {
                let address = line.trim_end()[8..].trim().trim_start_matches('<').trim_end_matches('>');
                rcpt.push(address.to_owned());
                b"250 OK\r\n"
            } else if command == "DATA" {
                out.write_all(b"354 go ahead\r\n")?;
                let mut data = Vec::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line)? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    // dot-stuffing
                    data.extend_from_slice(line.strip_prefix('.').unwrap_or(&line).as_bytes());
                }
                self.keep(std::mem::take(&mut rcpt), &data);
                b"250 OK queued\r\n"
            } else if command == "QUIT" {
                out.write_all(b"221 bye\r\n")?;
                return Ok(());
            } else {
                // HELO, MAIL FROM, RSET, NOOP, …
                b"250 OK\r\n"
            };
            out.write_all(reply)?;
        }
    }

    fn keep(&self, rcpt: Vec<String>, data: &[u8]) {
        let parsed = mail_parser::MessageParser::default().parse(data).expect("a parsable message");
        let address = |a: &mail_parser::Addr| {
            let email = a.address().unwrap_or_default();
            match a.name() {
                Some(name) => format!("{name} <{email}>"),
                None => email.to_owned(),
            }
        };
        let mail = Mail {
            rcpt,
            from: parsed.from().and_then(|f| f.first()).map(address).unwrap_or_default(),
            to: parsed.to().map(|t| t.iter().map(address).collect()).unwrap_or_default(),
            subject: parsed.subject().unwrap_or_default().to_owned(),
            html: parsed.body_html(0).map(|b| b.into_owned()).unwrap_or_default(),
        };
        let (mails, arrived) = &*self.mails;
        mails.lock().unwrap().push(mail);
        arrived.notify_all();
    }

    /// How many messages have arrived.
    pub fn count(&self) -> usize {
        self.mails.0.lock().unwrap().len()
    }

    /// The `n`th message (from 0), waiting up to 15 s for it.
    pub fn wait_for(&self, n: usize) -> Mail {
        let (mails, arrived) = &*self.mails;
        let deadline = Instant::now() + Duration::from_secs(15);
        let mut guard = mails.lock().unwrap();
        while guard.len() <= n {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "mail #{n} did not arrive (have {})", guard.len());
            guard = arrived.wait_timeout(guard, left).unwrap().0;
        }
        guard[n].clone()
    }
}
