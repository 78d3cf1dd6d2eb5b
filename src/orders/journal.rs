//! The write-ahead order journal: append-only JSON lines, one file per UTC day
//! (`journal-YYYY-MM-DD.jsonl`) in the data folder. [`Journal::append`] returns only after the
//! line is written, flushed and fsynced, so an intent and its submission are on disk before the
//! order leaves. Any failure is returned: the lead disables order entry and says why.

use super::group::LegRole;
use super::precautions::{Precautions, Rule, Violation};
use super::reconcile::Difference;
use super::ticket::{OrderAction, OrderIntent, OrderType, TimeInForce, Trailing};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// Increases by one per line; continues from the last line of the day's file.
    pub seq: u64,
    pub ts: DateTime<Utc>,
    /// Which run of the cockpit wrote the line.
    pub run_id: String,
    #[serde(flatten)]
    pub body: JournalBody,
}

/// What a line records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JournalBody {
    /// The trader confirmed a ticket: its values and which checks passed or were overridden.
    Intent {
        intent_id: String,
        ticket: IntentRecord,
        checks: ChecksRecord,
    },
    /// The trader confirmed a ticket with exits attached: every leg, before the first leg is
    /// sent. Each leg's `Submitted` follows as it goes (entry first).
    GroupIntent {
        group_id: String,
        legs: Vec<LegRecord>,
        checks: ChecksRecord,
    },
    /// The order is about to be placed under this id (written before PlaceOrder leaves).
    Submitted {
        intent_id: String,
        order_id: i32,
        client_id: i32,
        account: String,
    },
    /// An order status as IB sent it (`status` is IB's text).
    Status {
        order_id: i32,
        status: String,
        filled: Option<Decimal>,
        remaining: Option<Decimal>,
    },
    Fill {
        order_id: i32,
        exec_id: String,
        quantity: Decimal,
        price: Decimal,
    },
    Commission {
        exec_id: String,
        amount: Decimal,
        currency: String,
    },
    /// An error or notice code, for an order or not, with IB's text verbatim.
    Error {
        order_id: Option<i32>,
        code: i32,
        text: String,
    },
    CancelRequested {
        order_id: i32,
    },
    /// The trader halted (true) or resumed (false) trading.
    Halt {
        halted: bool,
    },
    CancelAll,
    /// What reconciliation found different between the journal and the broker.
    Reconciled {
        differences: Vec<Difference>,
    },
}

/// The ticket values of an intent, as journaled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntentRecord {
    pub symbol: String,
    pub con_id: i32,
    pub action: OrderAction,
    pub quantity: Decimal,
    pub order_type: OrderType,
    pub limit_price: Option<Decimal>,
    pub stop_price: Option<Decimal>,
    /// TRAIL / TRAIL LIMIT (absent in lines written before trailing stops).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trailing: Option<Trailing>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_offset: Option<Decimal>,
    pub tif: TimeInForce,
    /// GTD's expiry (absent before GTD).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub good_till: Option<DateTime<Utc>>,
    pub outside_rth: bool,
    pub account: String,
    pub notional: Option<Decimal>,
}

impl From<&OrderIntent> for IntentRecord {
    fn from(intent: &OrderIntent) -> Self {
        IntentRecord {
            symbol: intent.contract().symbol.clone(),
            con_id: intent.contract().con_id,
            action: intent.action(),
            quantity: intent.quantity(),
            order_type: intent.order_type(),
            limit_price: intent.limit_price(),
            stop_price: intent.stop_price(),
            trailing: intent.trailing(),
            limit_offset: intent.limit_offset(),
            tif: intent.tif(),
            good_till: intent.good_till(),
            outside_rth: intent.outside_rth(),
            account: intent.account().to_string(),
            notional: intent.notional(),
        }
    }
}

/// One leg of a group, as journaled: its role, its intent id (`<group>.<role>`) and values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegRecord {
    pub role: LegRole,
    pub intent_id: String,
    pub ticket: IntentRecord,
}

/// Which precautions an intent passed and which it broke with an override.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecksRecord {
    pub passed: Vec<Rule>,
    pub overridden: Vec<Violation>,
}

impl ChecksRecord {
    /// Active rules not overridden count as passed (an order with a blocking violation is
    /// never journaled as an intent).
    pub fn new(precautions: &Precautions, overridden: Vec<Violation>) -> Self {
        let passed =
            precautions.active_rules().into_iter().filter(|r| !overridden.iter().any(|v| v.rule == *r)).collect();
        ChecksRecord { passed, overridden }
    }
}

/// A journal failure, naming the file and the operation.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("{op} {path}: {source}")]
    Io { op: &'static str, path: PathBuf, source: io::Error },
    #[error("cannot encode journal entry: {0}")]
    Encode(#[from] serde_json::Error),
}

fn io_err<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> JournalError + 'a {
    move |source| JournalError::Io { op, path: path.to_path_buf(), source }
}

/// A line that did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// 1-based line number.
    pub line: usize,
    pub text: String,
    pub error: String,
    /// The last line of the file: most likely torn by a crash mid-write.
    pub last: bool,
}

/// A day's journal as read back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayRead {
    pub entries: Vec<JournalEntry>,
    pub bad_lines: Vec<BadLine>,
}

impl DayRead {
    /// The torn last line, if the file ends in one.
    pub fn torn_tail(&self) -> Option<&BadLine> {
        self.bad_lines.iter().find(|b| b.last)
    }
}

#[derive(Debug)]
struct DayFile {
    date: NaiveDate,
    path: PathBuf,
    file: File,
}

/// The journal writer. One per trading session.
#[derive(Debug)]
pub struct Journal {
    dir: PathBuf,
    run_id: String,
    next_seq: u64,
    current: Option<DayFile>,
}

impl Journal {
    /// The file for `date` in `dir`.
    pub fn path_for(dir: &Path, date: NaiveDate) -> PathBuf {
        dir.join(format!("journal-{}.jsonl", date.format("%Y-%m-%d")))
    }

    /// Creates `dir` if needed and opens today's file, so an unwritable journal is found before
    /// any order. The sequence continues from the last entry in today's file.
    pub fn open(dir: &Path, run_id: &str, now: DateTime<Utc>) -> Result<Journal, JournalError> {
        fs::create_dir_all(dir).map_err(io_err("create journal folder", dir))?;
        let date = now.date_naive();
        let last_seq = Journal::read_day(dir, date)?.entries.iter().map(|e| e.seq).max().unwrap_or(0);
        let mut journal = Journal {
            dir: dir.to_path_buf(),
            run_id: run_id.to_string(),
            next_seq: last_seq.saturating_add(1),
            current: None,
        };
        journal.current = Some(journal.open_day(date)?);
        Ok(journal)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes one entry and returns it once it is flushed and fsynced. The file is the one for
    /// `at`'s UTC day. After a failure the file is reopened on the next append (a partial line
    /// is then closed off so the next entry starts on a line of its own).
    pub fn append(&mut self, at: DateTime<Utc>, body: JournalBody) -> Result<JournalEntry, JournalError> {
        let entry = JournalEntry { seq: self.next_seq, ts: at, run_id: self.run_id.clone(), body };
        let mut line = serde_json::to_string(&entry)?;
        line.push('\n');
        // A sequence number is never reused, even when its write failed.
        self.next_seq = self.next_seq.saturating_add(1);
        let date = at.date_naive();
        let day = match self.current.take() {
            Some(day) if day.date == date => day,
            _ => self.open_day(date)?,
        };
        let written = (|| {
            let mut file = &day.file;
            file.write_all(line.as_bytes()).map_err(io_err("write", &day.path))?;
            file.flush().map_err(io_err("flush", &day.path))?;
            day.file.sync_data().map_err(io_err("fsync", &day.path))
        })();
        match written {
            Ok(()) => {
                self.current = Some(day);
                Ok(entry)
            }
            // `day` is dropped: the next append reopens and repairs the tail.
            Err(e) => Err(e),
        }
    }

    /// Reads a day's journal. A missing file is an empty day; a line that does not parse is
    /// reported in `bad_lines` (the last one marked as torn), never a panic.
    pub fn read_day(dir: &Path, date: NaiveDate) -> Result<DayRead, JournalError> {
        let path = Journal::path_for(dir, date);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(DayRead::default()),
            Err(e) => return Err(io_err("read", &path)(e)),
        };
        let text = String::from_utf8_lossy(&bytes);
        let lines: Vec<&str> = text.split('\n').collect();
        // A file ending in '\n' splits into a final empty piece, which is not a line.
        let count = if text.ends_with('\n') { lines.len() - 1 } else { lines.len() };
        let mut read = DayRead::default();
        for (i, line) in lines.iter().take(count).enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<JournalEntry>(line) {
                Ok(entry) => read.entries.push(entry),
                Err(e) => read.bad_lines.push(BadLine {
                    line: i + 1,
                    text: line.to_string(),
                    error: e.to_string(),
                    last: i + 1 == count,
                }),
            }
        }
        Ok(read)
    }

    /// Opens (creating) a day's file for appending. A file not ending in a newline (torn by a
    /// crash) gets one, so the next entry is a line of its own.
    fn open_day(&self, date: NaiveDate) -> Result<DayFile, JournalError> {
        let path = Journal::path_for(&self.dir, date);
        let existed = path.exists();
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(io_err("open journal", &path))?;
        let len = file.metadata().map_err(io_err("stat", &path))?.len();
        if len > 0 {
            let mut last = [0u8; 1];
            file.seek(SeekFrom::Start(len - 1)).map_err(io_err("seek", &path))?;
            file.read_exact(&mut last).map_err(io_err("read", &path))?;
            if last[0] != b'\n' {
                file.write_all(b"\n").map_err(io_err("repair torn line in", &path))?;
                file.sync_data().map_err(io_err("fsync", &path))?;
            }
        }
        if !existed {
            file.sync_all().map_err(io_err("fsync", &path))?;
            sync_dir(&self.dir)?;
        }
        Ok(DayFile { date, path, file })
    }
}

/// Makes a new file's directory entry durable.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> Result<(), JournalError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io_err("fsync folder", dir))
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> Result<(), JournalError> {
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::orders::lifecycle::OrderStatus;
    use crate::orders::testkit::{dec, market};
    use crate::orders::ticket::Ticket;
    use chrono::TimeZone;

    pub fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, h, m, s).unwrap()
    }

    pub fn sample_intent() -> OrderIntent {
        let t = Ticket {
            quantity: "100".into(),
            limit_price: "150.05".into(),
            ..Ticket::new("AAPL", OrderAction::Buy, "DU111111")
        };
        t.validate(&market()).unwrap()
    }

    fn temp() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    fn bodies() -> Vec<JournalBody> {
        let overridden =
            vec![Violation { rule: Rule::MaxQuantity, message: "quantity 1001 …".into(), overridable: true }];
        vec![
            JournalBody::Intent {
                intent_id: "rt-1".into(),
                ticket: IntentRecord::from(&sample_intent()),
                checks: ChecksRecord::new(&Precautions::default(), overridden),
            },
            JournalBody::Submitted { intent_id: "rt-1".into(), order_id: 7, client_id: 17, account: "DU111111".into() },
            JournalBody::GroupIntent {
                group_id: "rt-2".into(),
                legs: vec![
                    LegRecord {
                        role: LegRole::Entry,
                        intent_id: "rt-2.entry".into(),
                        ticket: IntentRecord::from(&sample_intent()),
                    },
                    LegRecord {
                        role: LegRole::StopLoss,
                        intent_id: "rt-2.sl".into(),
                        ticket: IntentRecord::from(&sample_intent()),
                    },
                ],
                checks: ChecksRecord::new(&Precautions::default(), vec![]),
            },
            JournalBody::Status { order_id: 7, status: "Submitted".into(), filled: Some(dec("0")), remaining: None },
            JournalBody::Fill {
                order_id: 7,
                exec_id: "0001f4e8.01".into(),
                quantity: dec("100"),
                price: dec("150.01"),
            },
            JournalBody::Commission { exec_id: "0001f4e8.01".into(), amount: dec("1.00"), currency: "USD".into() },
            JournalBody::Error { order_id: Some(7), code: 10349, text: "Order TIF was set to DAY".into() },
            JournalBody::Error {
                order_id: Some(7),
                code: 399,
                text: "Order Message:\nBUY 100 AAPL\nWarning: \"quoted\" – ünïcode\r\n".into(),
            },
            JournalBody::CancelRequested { order_id: 7 },
            JournalBody::Halt { halted: true },
            JournalBody::CancelAll,
            JournalBody::Reconciled {
                differences: vec![Difference::StatusDisagrees {
                    order_id: 7,
                    journal: Some(OrderStatus::Submitted),
                    broker: OrderStatus::Filled,
                }],
            },
        ]
    }

    #[test]
    fn every_kind_round_trips_in_order_with_sequence_numbers() {
        let dir = temp();
        let mut j = Journal::open(dir.path(), "run-a", at(14, 0, 0)).unwrap();
        let written: Vec<JournalEntry> =
            bodies().into_iter().enumerate().map(|(i, b)| j.append(at(14, 0, i as u32), b).unwrap()).collect();
        let read = Journal::read_day(dir.path(), at(0, 0, 0).date_naive()).unwrap();
        assert_eq!(read.bad_lines, vec![]);
        assert_eq!(read.entries, written);
        assert_eq!(read.entries.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=12).collect::<Vec<u64>>());
        // IB's multi-line texts stay on one journal line.
        let text = fs::read_to_string(Journal::path_for(dir.path(), at(0, 0, 0).date_naive())).unwrap();
        assert_eq!(text.lines().count(), 12);
        assert!(Journal::path_for(dir.path(), at(0, 0, 0).date_naive()).ends_with("journal-2026-11-27.jsonl"));
    }

    #[test]
    fn lines_are_flat_json_with_a_kind() {
        let dir = temp();
        let mut j = Journal::open(dir.path(), "run-a", at(14, 0, 0)).unwrap();
        j.append(at(14, 0, 1), JournalBody::CancelRequested { order_id: 7 }).unwrap();
        let text = fs::read_to_string(Journal::path_for(dir.path(), at(0, 0, 0).date_naive())).unwrap();
        assert_eq!(
            text,
            "{\"seq\":1,\"ts\":\"2026-11-27T14:00:01Z\",\"run_id\":\"run-a\",\"kind\":\"cancel_requested\",\"order_id\":7}\n"
        );
    }

    /// A line written before trailing stops and GTD (no `trailing`, `limit_offset`,
    /// `good_till`) still reads, and a trailing GTD intent round-trips with them.
    #[test]
    fn intent_lines_old_and_new_read_back() {
        let old = r#"{"seq":3,"ts":"2026-11-27T14:00:01Z","run_id":"run-a","kind":"intent","intent_id":"rt-1","ticket":{"symbol":"AAPL","con_id":265598,"action":"BUY","quantity":"100","order_type":"LMT","limit_price":"150.05","stop_price":null,"tif":"DAY","outside_rth":false,"account":"DU111111","notional":"15005"},"checks":{"passed":[],"overridden":[]}}"#;
        let entry: JournalEntry = serde_json::from_str(old).expect("an old intent line reads");
        let JournalBody::Intent { ticket, .. } = entry.body else { panic!("not an intent") };
        assert_eq!((ticket.trailing, ticket.limit_offset, ticket.good_till), (None, None, None));
        assert_eq!(ticket, IntentRecord::from(&sample_intent()));
        let t = Ticket {
            quantity: "100".into(),
            order_type: OrderType::TrailLimit,
            trail: "1%".into(),
            limit_offset: "0.05".into(),
            tif: TimeInForce::Gtd,
            good_till: "20261128 21:00:00".into(),
            ..Ticket::new("AAPL", OrderAction::Sell, "DU111111")
        };
        let record = IntentRecord::from(&t.validate(&market()).unwrap());
        let text = serde_json::to_string(&record).unwrap();
        assert!(text.contains(r#""trailing":{"percent":"1"}"#), "{text}");
        assert!(text.contains(r#""good_till":"2026-11-28T21:00:00Z""#), "{text}");
        assert_eq!(serde_json::from_str::<IntentRecord>(&text).unwrap(), record);
    }

    #[test]
    fn each_utc_day_has_its_own_file() {
        let dir = temp();
        let mut j = Journal::open(dir.path(), "run", at(23, 59, 59)).unwrap();
        j.append(at(23, 59, 59), JournalBody::CancelAll).unwrap();
        let next_day = at(23, 59, 59) + chrono::TimeDelta::seconds(2);
        j.append(next_day, JournalBody::CancelAll).unwrap();
        let first = Journal::read_day(dir.path(), at(0, 0, 0).date_naive()).unwrap();
        let second = Journal::read_day(dir.path(), next_day.date_naive()).unwrap();
        assert_eq!(first.entries.len(), 1);
        assert_eq!(second.entries.len(), 1);
        assert_eq!(second.entries[0].seq, 2);
    }

    #[test]
    fn a_torn_last_line_is_reported_and_the_next_entry_starts_a_new_line() {
        let dir = temp();
        let mut j = Journal::open(dir.path(), "run-a", at(14, 0, 0)).unwrap();
        j.append(at(14, 0, 1), JournalBody::CancelAll).unwrap();
        drop(j);
        let path = Journal::path_for(dir.path(), at(0, 0, 0).date_naive());
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(b"{\"seq\":2,\"ts\":\"2026-11-27T14:0").unwrap();
        drop(file);

        let read = Journal::read_day(dir.path(), at(0, 0, 0).date_naive()).unwrap();
        assert_eq!(read.entries.len(), 1);
        let torn = read.torn_tail().unwrap();
        assert_eq!((torn.line, torn.text.as_str()), (2, "{\"seq\":2,\"ts\":\"2026-11-27T14:0"));

        // A restart appends after the torn line, on a line of its own, continuing the sequence.
        let mut j = Journal::open(dir.path(), "run-b", at(14, 1, 0)).unwrap();
        let entry = j.append(at(14, 1, 0), JournalBody::Halt { halted: false }).unwrap();
        assert_eq!(entry.seq, 2);
        let read = Journal::read_day(dir.path(), at(0, 0, 0).date_naive()).unwrap();
        assert_eq!(read.entries.len(), 2);
        assert_eq!(read.entries[1].run_id, "run-b");
        assert_eq!(read.bad_lines.len(), 1);
        assert!(!read.bad_lines[0].last, "the torn line is no longer the last");
    }

    #[test]
    fn garbage_and_blank_lines_never_panic() {
        let dir = temp();
        let path = Journal::path_for(dir.path(), at(0, 0, 0).date_naive());
        fs::write(&path, b"\n\xff\xfe not json\n{\"seq\":1}\n\n").unwrap();
        let read = Journal::read_day(dir.path(), at(0, 0, 0).date_naive()).unwrap();
        assert_eq!(read.entries, vec![]);
        assert_eq!(read.bad_lines.iter().map(|b| b.line).collect::<Vec<_>>(), vec![2, 3]);
        assert_eq!(read.torn_tail(), None);
    }

    #[test]
    fn a_missing_day_is_empty() {
        let dir = temp();
        assert_eq!(Journal::read_day(dir.path(), at(0, 0, 0).date_naive()).unwrap(), DayRead::default());
    }

    #[test]
    fn an_unwritable_folder_is_an_error_at_open() {
        let dir = temp();
        let blocker = dir.path().join("a-file");
        fs::write(&blocker, b"not a folder").unwrap();
        let err = Journal::open(&blocker.join("journal"), "run", at(14, 0, 0)).err().unwrap();
        assert!(err.to_string().starts_with("create journal folder "), "{err}");
    }

    #[test]
    fn a_write_that_fails_is_returned_and_the_next_append_recovers() {
        let dir = temp();
        let mut j = Journal::open(dir.path(), "run", at(14, 0, 0)).unwrap();
        // Pull the folder away: opening the next day's file fails.
        let moved = dir.path().with_extension("moved");
        fs::rename(dir.path(), &moved).unwrap();
        let tomorrow = at(14, 0, 0) + chrono::TimeDelta::days(1);
        let err = j.append(tomorrow, JournalBody::CancelAll).unwrap_err();
        assert!(err.to_string().starts_with("open journal "), "{err}");
        fs::rename(&moved, dir.path()).unwrap();
        let entry = j.append(tomorrow, JournalBody::CancelAll).unwrap();
        assert_eq!(entry.seq, 2, "the failed sequence number is not reused");
        assert_eq!(Journal::read_day(dir.path(), tomorrow.date_naive()).unwrap().entries, vec![entry]);
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config { cases: 64, ..Default::default() })]
        /// Any text IB may send (newlines, quotes, any unicode) comes back exactly, one entry a line.
        #[test]
        fn any_text_round_trips(texts in proptest::collection::vec(proptest::prelude::any::<String>(), 1..5)) {
            let dir = temp();
            let mut j = Journal::open(dir.path(), "run", at(14, 0, 0)).unwrap();
            for (i, text) in texts.iter().enumerate() {
                j.append(at(14, 0, i as u32), JournalBody::Error { order_id: None, code: 0, text: text.clone() }).unwrap();
            }
            let read = Journal::read_day(dir.path(), at(0, 0, 0).date_naive()).unwrap();
            proptest::prop_assert!(read.bad_lines.is_empty());
            let back: Vec<String> = read.entries.into_iter().filter_map(|e| match e.body {
                JournalBody::Error { text, .. } => Some(text),
                _ => None,
            }).collect();
            proptest::prop_assert_eq!(back, texts);
        }
    }

    #[test]
    fn checks_record_lists_passed_rules_without_the_overridden() {
        let v = Violation { rule: Rule::MaxNotional, message: "n".into(), overridable: true };
        let c = ChecksRecord::new(&Precautions::default(), vec![v.clone()]);
        assert_eq!(
            c.passed,
            vec![
                Rule::MaxQuantity,
                Rule::PriceDistancePct,
                Rule::PriceDistanceTicks,
                Rule::OrdersPerMinute,
                Rule::LiveQuote,
                Rule::Duplicate
            ]
        );
        assert_eq!(c.overridden, vec![v]);
    }
}
