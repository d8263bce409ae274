//! Times people name ("in 1 hour", "tomorrow morning", "Monday 09:00", "in 90m") turned into
//! UTC instants in a time zone, across daylight-saving changes. Everything kept is UTC
//! milliseconds; a zone is only how a time is named and shown.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

use crate::error::{Error, Result};

/// The hour a "morning" preset names, local time.
pub const MORNING_HOUR: u32 = 9;

/// The choices offered next to a date and time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum Preset {
    InOneHour,
    /// 09:00 tomorrow.
    TomorrowMorning,
    /// 09:00 next Monday (a week on, if today is Monday).
    MondayMorning,
}

/// The instant a preset names, seen from `now_ms` in `zone`.
pub fn preset<Tz: TimeZone>(preset: Preset, now_ms: i64, zone: &Tz) -> i64 {
    let now = zone.from_utc_datetime(&utc(now_ms).naive_utc());
    let morning = |date: NaiveDate| local_instant(date.and_time(at(MORNING_HOUR, 0)), zone);
    match preset {
        Preset::InOneHour => now_ms + 3_600_000,
        Preset::TomorrowMorning => morning(now.date_naive() + Duration::days(1)),
        Preset::MondayMorning => {
            let ahead = 7 - i64::from(now.weekday().num_days_from_monday());
            morning(now.date_naive() + Duration::days(ahead))
        }
    }
}

fn at(hour: u32, minute: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or(NaiveTime::MIN)
}

fn utc(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// The instant a wall-clock time names in `zone`. A time the clocks skip (02:30 on the night
/// they go forward) is the first one after the gap that exists; a time that happens twice
/// (02:30 on the night they go back) is the first of the two.
pub fn local_instant<Tz: TimeZone>(local: NaiveDateTime, zone: &Tz) -> i64 {
    let mut probe = local;
    // Gaps are at most a few hours anywhere.
    for _ in 0..(4 * 60) {
        match zone.from_local_datetime(&probe) {
            LocalResult::Single(t) => return t.timestamp_millis(),
            LocalResult::Ambiguous(first, _) => return first.timestamp_millis(),
            LocalResult::None => probe += Duration::minutes(1),
        }
    }
    Utc.from_utc_datetime(&local).timestamp_millis()
}

/// A time as the CLI takes it: RFC 3339 (`2026-12-07T09:00:00+01:00`), or local
/// `YYYY-MM-DD HH:MM`, or local `HH:MM` (today, or tomorrow if that has passed).
pub fn parse_at<Tz: TimeZone>(text: &str, now_ms: i64, zone: &Tz) -> Result<i64> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.timestamp_millis());
    }
    for format in ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"] {
        if let Ok(local) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(local_instant(local, zone));
        }
    }
    if let Ok(time) = NaiveTime::parse_from_str(text, "%H:%M") {
        let today = zone.from_utc_datetime(&utc(now_ms).naive_utc()).date_naive();
        let instant = local_instant(today.and_time(time), zone);
        return Ok(if instant > now_ms {
            instant
        } else {
            local_instant((today + Duration::days(1)).and_time(time), zone)
        });
    }
    Err(Error::Invalid(format!(
        "\"{text}\" is not a time: write 2026-12-07 09:00 (local), 09:00, or 2026-12-07T09:00:00+01:00"
    )))
}

/// A span as the CLI takes it: a number and a unit, repeated: `90m`, `2h`, `1h30m`, `3d`, `45s`.
pub fn parse_duration(text: &str) -> Result<i64> {
    let invalid = || Error::Invalid(format!("\"{text}\" is not a duration: write 90m, 2h, 1h30m or 3d"));
    let mut total: i64 = 0;
    let mut number = String::new();
    let mut any = false;
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit: i64 = match c {
            's' => 1_000,
            'm' => 60_000,
            'h' => 3_600_000,
            'd' => 86_400_000,
            'w' => 7 * 86_400_000,
            _ => return Err(invalid()),
        };
        let n: i64 = number.parse().map_err(|_| invalid())?;
        total = n
            .checked_mul(unit)
            .and_then(|part| total.checked_add(part))
            .ok_or_else(invalid)?;
        number.clear();
        any = true;
    }
    if !number.is_empty() || !any || total <= 0 {
        return Err(invalid());
    }
    Ok(total)
}

/// When the quiet stretch of `schedule` that `now_ms` falls in ends, if it falls in one.
/// Stretches are laid out in `zone`'s wall-clock time, so 22:00 stays 22:00 across a
/// daylight-saving change (that night's stretch is an hour shorter or longer).
pub fn quiet_until<Tz: TimeZone>(schedule: &crate::model::QuietHours, now_ms: i64, zone: &Tz) -> Option<i64> {
    if !schedule.enabled || schedule.days.is_empty() {
        return None;
    }
    let minutes = |m: u16| at(u32::from(m / 60).min(23), u32::from(m % 60));
    let today = zone.from_utc_datetime(&utc(now_ms).naive_utc()).date_naive();
    // A stretch that started yesterday may still run (22:00 to 07:00).
    [today - Duration::days(1), today].into_iter().find_map(|day| {
        let weekday = u8::try_from(day.weekday().num_days_from_monday()).unwrap_or(0);
        if !schedule.days.contains(&weekday) {
            return None;
        }
        let start = local_instant(day.and_time(minutes(schedule.from)), zone);
        let end_day = if schedule.to > schedule.from {
            day
        } else {
            day + Duration::days(1)
        };
        let end = local_instant(end_day.and_time(minutes(schedule.to)), zone);
        (start <= now_ms && now_ms < end).then_some(end)
    })
}

/// Refuses a due time that has passed (or is absurdly far): a message is never scheduled into
/// the past, where it would go out at once without the user meaning it to.
pub fn check_due(due_at: i64, now_ms: i64) -> Result<()> {
    if due_at <= now_ms {
        return Err(Error::Invalid(format!(
            "that time has passed ({} UTC): choose a time in the future",
            utc(due_at).format("%Y-%m-%d %H:%M")
        )));
    }
    if due_at - now_ms > 3 * 366 * 86_400_000 {
        return Err(Error::Invalid("that is more than three years away".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::{FixedOffset, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone, Timelike};

    use super::*;

    /// Central European time in 2026: UTC+1, and UTC+2 from 29 March 01:00 UTC (02:00 local
    /// jumps to 03:00) to 25 October 01:00 UTC (03:00 local falls back to 02:00).
    #[derive(Debug, Clone, Copy)]
    struct Berlin2026;

    const SUMMER_FROM: i64 = 1_774_746_000; // 2026-03-29T01:00:00Z
    const SUMMER_UNTIL: i64 = 1_792_890_000; // 2026-10-25T01:00:00Z

    fn offset(hours: i32) -> FixedOffset {
        FixedOffset::east_opt(hours * 3600).expect("offset")
    }

    impl TimeZone for Berlin2026 {
        type Offset = FixedOffset;
        fn from_offset(_: &FixedOffset) -> Self {
            Berlin2026
        }
        fn offset_from_local_date(&self, local: &NaiveDate) -> LocalResult<FixedOffset> {
            self.offset_from_local_datetime(&local.and_time(NaiveTime::MIN))
        }
        fn offset_from_local_datetime(&self, local: &NaiveDateTime) -> LocalResult<FixedOffset> {
            let as_winter = local.and_utc().timestamp() - 3600;
            let as_summer = local.and_utc().timestamp() - 7200;
            let summer_at = |t: i64| (SUMMER_FROM..SUMMER_UNTIL).contains(&t);
            match (!summer_at(as_winter), summer_at(as_summer)) {
                (true, true) => LocalResult::Ambiguous(offset(2), offset(1)),
                (true, false) => LocalResult::Single(offset(1)),
                (false, true) => LocalResult::Single(offset(2)),
                (false, false) => LocalResult::None,
            }
        }
        fn offset_from_utc_date(&self, utc: &NaiveDate) -> FixedOffset {
            self.offset_from_utc_datetime(&utc.and_time(NaiveTime::MIN))
        }
        fn offset_from_utc_datetime(&self, utc: &NaiveDateTime) -> FixedOffset {
            let t = utc.and_utc().timestamp();
            offset(if (SUMMER_FROM..SUMMER_UNTIL).contains(&t) { 2 } else { 1 })
        }
    }

    fn is_monday(ms: i64) -> bool {
        Berlin2026.from_utc_datetime(&utc(ms).naive_utc()).weekday() == chrono::Weekday::Mon
    }

    fn ms(text: &str) -> i64 {
        DateTime::parse_from_rfc3339(text).expect("rfc 3339").timestamp_millis()
    }

    fn local(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").expect("local time")
    }

    #[test]
    fn the_test_zone_is_what_it_says() {
        assert_eq!(
            Berlin2026.offset_from_utc_datetime(&local("2026-01-10 12:00")).fix(),
            offset(1)
        );
        assert_eq!(
            Berlin2026.offset_from_utc_datetime(&local("2026-07-10 12:00")).fix(),
            offset(2)
        );
        assert!(matches!(
            Berlin2026.from_local_datetime(&local("2026-03-29 02:30")),
            LocalResult::None
        ));
        assert!(matches!(
            Berlin2026.from_local_datetime(&local("2026-10-25 02:30")),
            LocalResult::Ambiguous(..)
        ));
    }

    #[test]
    fn tomorrow_morning_is_nine_local_on_either_side_of_a_clock_change() {
        // The evening before the clocks go forward: 09:00 tomorrow is UTC+2 already.
        let before_spring = ms("2026-03-28T21:00:00+01:00");
        assert_eq!(
            preset(Preset::TomorrowMorning, before_spring, &Berlin2026),
            ms("2026-03-29T09:00:00+02:00")
        );
        // The evening before they go back: 09:00 tomorrow is UTC+1 again.
        let before_autumn = ms("2026-10-24T21:00:00+02:00");
        assert_eq!(
            preset(Preset::TomorrowMorning, before_autumn, &Berlin2026),
            ms("2026-10-25T09:00:00+01:00")
        );
        // That night is 25 hours long: "in 1 hour" is an hour, whatever the wall clock says.
        assert_eq!(
            preset(Preset::InOneHour, before_autumn, &Berlin2026) - before_autumn,
            3_600_000
        );
    }

    #[test]
    fn monday_morning_is_the_next_monday_at_nine() {
        // Friday 4 December 2026.
        let friday = ms("2026-12-04T16:00:00+01:00");
        let monday = preset(Preset::MondayMorning, friday, &Berlin2026);
        assert_eq!(monday, ms("2026-12-07T09:00:00+01:00"));
        assert!(is_monday(monday));
        // On a Monday it means the next one, not this morning.
        let on_monday = ms("2026-12-07T08:00:00+01:00");
        assert_eq!(
            preset(Preset::MondayMorning, on_monday, &Berlin2026),
            ms("2026-12-14T09:00:00+01:00")
        );
    }

    #[test]
    fn a_skipped_time_moves_past_the_gap_and_a_repeated_one_is_the_first() {
        assert_eq!(
            local_instant(local("2026-03-29 02:30"), &Berlin2026),
            ms("2026-03-29T03:00:00+02:00"),
            "02:30 does not exist that night: the first minute that does"
        );
        assert_eq!(
            local_instant(local("2026-10-25 02:30"), &Berlin2026),
            ms("2026-10-25T02:30:00+02:00"),
            "02:30 happens twice: the first"
        );
    }

    #[test]
    fn times_are_read_as_local_or_with_their_offset() {
        let now = ms("2026-12-04T16:00:00+01:00");
        assert_eq!(
            parse_at("2026-12-05 09:00", now, &Berlin2026).expect("local"),
            ms("2026-12-05T09:00:00+01:00")
        );
        assert_eq!(
            parse_at("2026-12-05T09:00:00Z", now, &Berlin2026).expect("rfc 3339"),
            ms("2026-12-05T09:00:00Z")
        );
        assert_eq!(
            parse_at("17:30", now, &Berlin2026).expect("later today"),
            ms("2026-12-04T17:30:00+01:00")
        );
        assert_eq!(
            parse_at("09:00", now, &Berlin2026).expect("passed today, so tomorrow"),
            ms("2026-12-05T09:00:00+01:00")
        );
        let wrong = parse_at("next tuesday-ish", now, &Berlin2026).expect_err("refused");
        assert!(wrong.to_string().contains("is not a time"), "{wrong}");
    }

    #[test]
    fn durations_add_up_their_parts() {
        assert_eq!(parse_duration("90m").expect("90m"), 90 * 60_000);
        assert_eq!(parse_duration("1h30m").expect("1h30m"), 90 * 60_000);
        assert_eq!(parse_duration("2d").expect("2d"), 2 * 86_400_000);
        for wrong in ["", "90", "m", "1x", "-5m", "0m", "99999999999999999d"] {
            assert!(parse_duration(wrong).is_err(), "{wrong:?} refused");
        }
    }

    #[test]
    fn a_time_in_the_past_is_refused_with_a_clear_message() {
        let now = ms("2026-12-04T16:00:00Z");
        let said = check_due(now - 1, now).expect_err("the past").to_string();
        assert!(said.contains("that time has passed (2026-12-04 15:59 UTC)"), "{said}");
        assert!(check_due(now, now).is_err(), "now is not later");
        assert!(check_due(now + 60_000, now).is_ok());
        assert!(check_due(now + 4 * 366 * 86_400_000, now).is_err());
    }

    fn quiet(days: &[u8], from: &str, to: &str) -> crate::model::QuietHours {
        let minutes = |t: &str| {
            let time = NaiveTime::parse_from_str(t, "%H:%M").expect("time");
            u16::try_from(time.hour() * 60 + time.minute()).expect("minutes")
        };
        crate::model::QuietHours {
            enabled: true,
            days: days.to_vec(),
            from: minutes(from),
            to: minutes(to),
        }
    }

    #[test]
    fn a_quiet_night_runs_into_the_next_day_and_follows_the_clock_change() {
        // Saturdays (5) from 22:00 to 07:00; 24-25 October 2026 is the night clocks go back.
        let nights = quiet(&[5], "22:00", "07:00");
        let zone = Berlin2026;
        let sunday_seven = ms("2026-10-25T07:00:00+01:00");
        assert_eq!(
            quiet_until(&nights, ms("2026-10-24T23:00:00+02:00"), &zone),
            Some(sunday_seven),
            "until 07:00 on the clock, an hour longer that night"
        );
        assert_eq!(
            quiet_until(&nights, ms("2026-10-25T06:59:00+01:00"), &zone),
            Some(sunday_seven)
        );
        assert_eq!(quiet_until(&nights, sunday_seven, &zone), None, "over at 07:00");
        assert_eq!(
            quiet_until(&nights, ms("2026-10-24T21:59:00+02:00"), &zone),
            None,
            "not yet"
        );
        assert_eq!(
            quiet_until(&nights, ms("2026-10-23T23:00:00+02:00"), &zone),
            None,
            "Friday is not among its days"
        );
        let off = crate::model::QuietHours {
            enabled: false,
            ..nights
        };
        assert_eq!(quiet_until(&off, ms("2026-10-24T23:00:00+02:00"), &zone), None);
    }

    #[test]
    fn quiet_working_hours_end_the_same_day() {
        let weekdays = quiet(&[0, 1, 2, 3, 4], "09:00", "17:00");
        let zone = Berlin2026;
        assert_eq!(
            quiet_until(&weekdays, ms("2026-12-07T10:00:00+01:00"), &zone),
            Some(ms("2026-12-07T17:00:00+01:00"))
        );
        assert_eq!(quiet_until(&weekdays, ms("2026-12-07T17:00:00+01:00"), &zone), None);
        assert_eq!(
            quiet_until(&weekdays, ms("2026-12-06T10:00:00+01:00"), &zone),
            None,
            "Sunday"
        );
        // From a time to the same time is a whole day.
        let all_day = quiet(&[0], "00:00", "00:00");
        assert_eq!(
            quiet_until(&all_day, ms("2026-12-07T23:30:00+01:00"), &zone),
            Some(ms("2026-12-08T00:00:00+01:00"))
        );
    }
}
