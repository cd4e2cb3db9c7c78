//! Which records a list, a count, a search or an export selects: by form, by who
//! created or changed them, and by when. [`RecordFilter`] is plain data the app and
//! the CLI fill in; [`Vault::list_filter`] checks it and makes the store's query.

use satchel_store::{AuthorFilter, ListFilter, TimeFilter};
use satchel_sync::op::DeviceId;
use serde::{Deserialize, Serialize};

use crate::{ApiError, Result, Vault};

/// What happened to a record that a filter looks at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum RecordEvent {
    /// Its first write.
    #[default]
    Created,
    /// Any change (for an author, any of their ops; for a date, the last one).
    Changed,
}

/// A filter as a person sets it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(default, deny_unknown_fields)]
pub struct RecordFilter {
    /// Only records of this form.
    pub form: Option<String>,
    /// Only records by this device: its id, 64 hex digits ([`AuthorChoice::id`]).
    pub author: Option<String>,
    /// Whether `author` created the records, or changed them at all.
    pub author_did: RecordEvent,
    /// From this date on (inclusive), as typed in any of the app's languages or as
    /// stored: `2026-11-30`, `2026-11` (from the month's first day), `2026`.
    pub since: Option<String>,
    /// Up to this date (inclusive): `2026-11` is up to the month's last day.
    pub until: Option<String>,
    /// Whether the dates bound the records' creation or their last change.
    pub dated: RecordEvent,
    /// The dates are days in the time zone this many minutes east of UTC: the app's
    /// own (it shows times in local time), 0 for the CLI (it shows UTC).
    pub utc_offset_minutes: i32,
}

impl RecordFilter {
    /// Whether it narrows anything beyond a form.
    pub fn is_narrowed(&self) -> bool {
        self.author.is_some() || self.since.is_some() || self.until.is_some()
    }
}

/// A device that wrote records held here, for a picker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct AuthorChoice {
    /// Device id, 64 hex digits.
    pub id: String,
    /// As authors are shown everywhere: "Name (role)" in an organisation, otherwise
    /// the first fingerprint words.
    pub name: String,
}

/// Most minutes a time zone is from UTC (UTC+14 exists).
const MAX_OFFSET_MINUTES: i32 = 14 * 60;

fn invalid(what: &str) -> ApiError {
    ApiError::InvalidFilter(what.to_owned())
}

/// The first instant (Unix ms) of the day `date` names, or of the day after the
/// period it names with `after`, in UTC.
fn day_start_ms(stored: &str, after: bool) -> Option<i64> {
    let mut parts = stored.split('-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: Option<u8> = parts.next().map(str::parse).transpose().ok()?;
    let day: Option<u8> = parts.next().map(str::parse).transpose().ok()?;
    let month_of = |m: u8| time::Month::try_from(m).ok();
    let first =
        time::Date::from_calendar_date(year, month_of(month.unwrap_or(1))?, day.unwrap_or(1))
            .ok()?;
    let date = if !after {
        first
    } else if day.is_some() {
        first.next_day()?
    } else if let Some(m) = month {
        if m == 12 {
            time::Date::from_calendar_date(year + 1, time::Month::January, 1).ok()?
        } else {
            time::Date::from_calendar_date(year, month_of(m + 1)?, 1).ok()?
        }
    } else {
        time::Date::from_calendar_date(year + 1, time::Month::January, 1).ok()?
    };
    Some(date.midnight().assume_utc().unix_timestamp() * 1000)
}

/// A typed bound as the first instant in (`since`) or the first instant out
/// (`until`), in the zone `offset` minutes east of UTC.
fn bound(text: &str, until: bool, offset: i32, which: &str) -> Result<i64> {
    let stored = satchel_forms::parse_date(text).ok_or_else(|| {
        invalid(&format!(
            "the {which} date is not a date: write it as 2026-11-30, 2026-11 or 2026"
        ))
    })?;
    if stored.starts_with('~') {
        return Err(invalid(&format!(
            "the {which} date must be exact, not approximate"
        )));
    }
    let utc = day_start_ms(&stored, until)
        .ok_or_else(|| invalid(&format!("the {which} date is not a date")))?;
    Ok(utc - i64::from(offset) * 60_000)
}

/// A device id as 64 hex digits.
fn device(hex: &str) -> Result<DeviceId> {
    let bytes = data_encoding::HEXLOWER_PERMISSIVE
        .decode(hex.trim().as_bytes())
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| invalid("the author is not a device id (64 hex digits)"))?;
    Ok(DeviceId(bytes))
}

impl Vault {
    /// Checks `filter` and makes the store's query from it (no limit, first page,
    /// newest first; deleted records left out). An unknown form, a device id that is
    /// not one, a date that is not one or is approximate, and a start after the end
    /// are errors; an author who wrote nothing held here just selects nothing.
    pub fn list_filter(&self, filter: &RecordFilter) -> Result<ListFilter> {
        if let Some(f) = &filter.form {
            self.form(f)?;
        }
        if !(-MAX_OFFSET_MINUTES..=MAX_OFFSET_MINUTES).contains(&filter.utc_offset_minutes) {
            return Err(invalid("the time zone is more than 14 hours from UTC"));
        }
        let offset = filter.utc_offset_minutes;
        let since = filter
            .since
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| bound(s, false, offset, "start"))
            .transpose()?;
        let until = filter
            .until
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| bound(s, true, offset, "end"))
            .transpose()?;
        if let (Some(s), Some(u)) = (since, until)
            && s >= u
        {
            return Err(invalid("the start date is after the end date"));
        }
        let time = (since.is_some() || until.is_some()).then(|| TimeFilter {
            changed: filter.dated == RecordEvent::Changed,
            from_ms: since.unwrap_or(i64::MIN),
            until_ms: until.unwrap_or(i64::MAX),
        });
        let author = filter
            .author
            .as_deref()
            .filter(|a| !a.trim().is_empty())
            .map(device)
            .transpose()?
            .map(|device| AuthorFilter {
                device,
                changed: filter.author_did == RecordEvent::Changed,
            });
        Ok(ListFilter {
            form: filter.form.clone(),
            author,
            time,
            ..ListFilter::default()
        })
    }

    /// Every device that wrote records held here, named as authors are shown
    /// everywhere, sorted by name.
    pub fn record_authors(&self) -> Result<Vec<AuthorChoice>> {
        let names = self.authors()?;
        let mut out: Vec<AuthorChoice> = self
            .store
            .record_authors()?
            .iter()
            .map(|d| AuthorChoice {
                id: data_encoding::HEXLOWER.encode(&d.0),
                name: names.name(d),
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
        Ok(out)
    }

    /// The author a person named (the CLI's `--author`): a member's name, an author
    /// as shown ("Name (role)" or fingerprint words), or 8 or more hex digits of the
    /// device id. Case does not matter; a name that fits several is an error.
    pub fn resolve_author(&self, text: &str) -> Result<String> {
        let want = text.trim().to_lowercase();
        let authors = self.record_authors()?;
        let by_name: Vec<&AuthorChoice> = authors
            .iter()
            .filter(|a| {
                let name = a.name.to_lowercase();
                let bare = name.split(" (").next().unwrap_or(&name);
                name == want || bare == want
            })
            .collect();
        let found: Vec<&AuthorChoice> = if by_name.is_empty() && want.len() >= 8 {
            authors.iter().filter(|a| a.id.starts_with(&want)).collect()
        } else {
            by_name
        };
        match found.as_slice() {
            [one] => Ok(one.id.clone()),
            [] => Err(invalid(
                "no author by that name wrote records held here; see `satchel record authors`",
            )),
            _ => Err(invalid(
                "several authors have that name; give their device id (`satchel record authors`)",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    #[test]
    fn periods_start_on_their_first_day_and_end_after_their_last() {
        let nov = day_start_ms("2026-11-01", false).unwrap();
        assert_eq!(day_start_ms("2026-11", false), Some(nov));
        assert_eq!(day_start_ms("2026-11-30", true), Some(nov + 30 * DAY));
        assert_eq!(day_start_ms("2026-11", true), Some(nov + 30 * DAY));
        assert_eq!(day_start_ms("2026-12", true), day_start_ms("2027", false));
        assert_eq!(
            day_start_ms("2026", true),
            day_start_ms("2027-01-01", false)
        );
        assert_eq!(
            day_start_ms("2024-02", true),
            day_start_ms("2024-03-01", false)
        );
        assert_eq!(
            day_start_ms("2024-02-29", true),
            day_start_ms("2024-03", false)
        );
    }

    #[test]
    fn typed_bounds_are_read_in_every_language_and_in_the_given_zone() {
        let utc = bound("2026-11-30", false, 0, "start").unwrap();
        assert_eq!(bound("2026년 11월 30일", false, 0, "start").unwrap(), utc);
        assert_eq!(bound("2026年11月30日", false, 0, "start").unwrap(), utc);
        // Seoul is 9 hours ahead: its day starts at 15:00 UTC the day before.
        assert_eq!(
            bound("2026-11-30", false, 540, "start").unwrap(),
            utc - 9 * 3_600_000
        );
        assert_eq!(
            bound("2026-11-30", true, -300, "end").unwrap(),
            utc + DAY + 5 * 3_600_000
        );
        assert!(matches!(
            bound("~2026", false, 0, "start"),
            Err(ApiError::InvalidFilter(_))
        ));
        assert!(matches!(
            bound("2026-13", false, 0, "start"),
            Err(ApiError::InvalidFilter(_))
        ));
        assert!(matches!(
            bound("soon", true, 0, "end"),
            Err(ApiError::InvalidFilter(_))
        ));
    }

    #[test]
    fn the_filter_is_plain_json_with_defaults() {
        let f: RecordFilter = serde_json::from_str(r#"{"since":"2026-11"}"#).unwrap();
        assert_eq!(f.since.as_deref(), Some("2026-11"));
        assert_eq!(f.author_did, RecordEvent::Created);
        assert!(serde_json::from_str::<RecordFilter>(r#"{"sinse":"2026"}"#).is_err());
        assert_eq!(
            serde_json::to_value(RecordFilter::default()).unwrap()["dated"],
            "created"
        );
    }
}
