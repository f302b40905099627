//! Text that untrusted code hands the server (plugin names, groups, units, messages,
//! descriptions): size and control-character checks, and short quotes of it for error messages.

/// At most the first 60 characters of `text`, for quoting plugin output in an error message.
pub fn shown(text: &str) -> String {
    let mut cut = String::new();
    for c in text.chars().take(60) {
        if c.is_control() {
            cut.extend(c.escape_default());
        } else {
            cut.push(c);
        }
    }
    if text.chars().count() > 60 {
        cut.push('…');
    }
    cut
}

/// At most the first 2,000 characters of a plugin's message or a trap's description.
pub fn shown_long(text: &str) -> String {
    let mut cut: String = text.chars().take(2000).collect();
    if cut.len() < text.len() {
        cut.push_str("… (cut)");
    }
    cut
}

/// Text a person reads: no control characters besides newlines and tabs, at most `max` bytes.
pub fn check_text(what: &str, text: &str, max: usize) -> Result<(), String> {
    if text.len() > max {
        return Err(format!("{what} has {} bytes, more than the limit of {max}", text.len()));
    }
    if let Some(c) = text.chars().find(|c| c.is_control() && *c != '\n' && *c != '\t') {
        return Err(format!("{what} contains the control character {:?}", c));
    }
    Ok(())
}

/// A label on one line (a group, a unit, a version): no control characters at all.
pub fn check_label(what: &str, text: &str, max: usize) -> Result<(), String> {
    check_text(what, text, max)?;
    if text.contains(['\n', '\t']) {
        return Err(format!("{what} `{}` must be on one line", shown(text)));
    }
    Ok(())
}
