//! Field formatting without allocation: integers, prefixed ids, UTC timestamps and fixed-point
//! decimals, each written into a caller's stack buffer.

use super::calendar::civil_from_days;

pub(super) fn fmt_u64(mut v: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    &buf[i..]
}

/// `prefix` followed by `n` zero-padded to at least `width` digits (`width` <= 20).
pub(super) fn fmt_id(prefix: u8, n: u64, width: usize, buf: &mut [u8; 24]) -> &[u8] {
    let mut digits = [0u8; 20];
    let d = fmt_u64(n, &mut digits);
    let pad = width.min(20).saturating_sub(d.len());
    buf[0] = prefix;
    buf[1..1 + pad].fill(b'0');
    buf[1 + pad..1 + pad + d.len()].copy_from_slice(d);
    &buf[..1 + pad + d.len()]
}

/// Seconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ`.
pub(super) fn fmt_ts(secs: i64, buf: &mut [u8; 20]) -> &[u8] {
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400) as u32;
    let y = y.clamp(0, 9_999) as u32;
    let put2 = |b: &mut [u8], v: u32| {
        b[0] = b'0' + (v / 10) as u8;
        b[1] = b'0' + (v % 10) as u8;
    };
    put2(&mut buf[0..2], y / 100);
    put2(&mut buf[2..4], y % 100);
    buf[4] = b'-';
    put2(&mut buf[5..7], m);
    buf[7] = b'-';
    put2(&mut buf[8..10], d);
    buf[10] = b'T';
    put2(&mut buf[11..13], sod / 3_600);
    buf[13] = b':';
    put2(&mut buf[14..16], sod / 60 % 60);
    buf[16] = b':';
    put2(&mut buf[17..19], sod % 60);
    buf[19] = b'Z';
    &buf[..]
}

/// A decimal with `decimals` digits after the point (`v` is rounded).
pub(super) fn fmt_fixed(v: f64, decimals: u32, buf: &mut [u8; 32]) -> &[u8] {
    let scale = 10i64.pow(decimals);
    let n = (v * scale as f64).round() as i64;
    let mut len = 0;
    if n < 0 {
        buf[0] = b'-';
        len = 1;
    }
    let a = n.unsigned_abs();
    let mut ib = [0u8; 20];
    let int = fmt_u64(a / scale as u64, &mut ib);
    buf[len..len + int.len()].copy_from_slice(int);
    len += int.len();
    if decimals > 0 {
        buf[len] = b'.';
        len += 1;
        let mut frac = a % scale as u64;
        for i in (0..decimals as usize).rev() {
            buf[len + i] = b'0' + (frac % 10) as u8;
            frac /= 10;
        }
        len += decimals as usize;
    }
    &buf[..len]
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn formats() {
        let mut b = [0u8; 20];
        assert_eq!(fmt_ts(0, &mut b), b"1970-01-01T00:00:00Z");
        let t = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap().and_hms_opt(9, 13, 7).unwrap().and_utc().timestamp();
        assert_eq!(fmt_ts(t, &mut b), b"2026-01-05T09:13:07Z");
        let t = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap().and_hms_opt(23, 59, 59).unwrap().and_utc().timestamp();
        assert_eq!(fmt_ts(t, &mut b), b"2024-02-29T23:59:59Z");
        let mut ib = [0u8; 24];
        assert_eq!(fmt_id(b'a', 7, 4, &mut ib), b"a0007");
        assert_eq!(fmt_id(b'a', 123_456, 4, &mut ib), b"a123456");
        let mut db = [0u8; 32];
        assert_eq!(fmt_fixed(81.25, 1, &mut db), b"81.3");
        assert_eq!(fmt_fixed(-0.04, 2, &mut db), b"-0.04");
        assert_eq!(fmt_fixed(0.5, 2, &mut db), b"0.50");
        assert_eq!(fmt_u64(0, &mut b), b"0");
    }
}
