//! Theme loading: embedded themes plus the user's theme folder, file structs resolved to roles.
//!
//! A theme names roles (`title_focused`, `gain`, `health_failed`, …), never widget colours.
//! A theme file sets some roles; the rest come from the theme it `extends` (an embedded theme,
//! `dark` unless it says otherwise). With `NO_COLOR` every colour is dropped and the roles that
//! must stay distinguishable keep a modifier (bold, reversed) instead.

use super::file::{syntax_error, ConfigError};
use crate::store::Health;
use ratatui::style::{Color, Modifier, Style};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The embedded themes, in the order `T` cycles through them.
const EMBEDDED: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    ("high-contrast", include_str!("../../themes/high-contrast.toml")),
    ("colorblind", include_str!("../../themes/colorblind.toml")),
];

/// The theme a file without `extends` is laid over.
const DEFAULT_BASE: &str = "dark";

/// The names of the embedded themes, the default first.
pub fn embedded_theme_names() -> Vec<&'static str> {
    EMBEDDED.iter().map(|(name, _)| *name).collect()
}

/// Whether the environment asks for no colour (`NO_COLOR` set and not empty, per no-color.org).
pub fn no_color_from_env() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error("no theme named {name:?}: not embedded ({available}) and no {path}")]
    NotFound { name: String, path: PathBuf, available: String },
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}:{line}:{column}: {message}")]
    Syntax { path: PathBuf, line: usize, column: usize, message: String },
    #[error("{path}: extends {base:?}, which is not an embedded theme (expected one of {available})")]
    UnknownBase { path: PathBuf, base: String, available: String },
}

impl From<ConfigError> for ThemeError {
    fn from(error: ConfigError) -> Self {
        match error {
            ConfigError::Syntax { path, line, column, message } => ThemeError::Syntax { path, line, column, message },
            ConfigError::Read { path, source } => ThemeError::Read { path, source },
            ConfigError::Value { path, key, message } => {
                ThemeError::Syntax { path, line: 0, column: 0, message: format!("{key}: {message}") }
            }
        }
    }
}

/// A colour as written in a theme file: a name (`red`, `light-blue`, `dark-gray`), `#rrggbb`
/// or a 256-colour index. Refused with the expected forms when it is none of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ColorSpec(Color);

impl<'de> Deserialize<'de> for ColorSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Color::from_str(&text).map(ColorSpec).map_err(|_| {
            serde::de::Error::custom(format!(
                "unknown colour {text:?}: expected a colour name (black, red, green, yellow, blue, magenta, \
                 cyan, gray, dark-gray, light-red, …, white, reset), \"#rrggbb\" or an index 0-255"
            ))
        })
    }
}

/// One role as written: colours and modifiers, all optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StyleFile {
    fg: Option<ColorSpec>,
    bg: Option<ColorSpec>,
    bold: Option<bool>,
    dim: Option<bool>,
    italic: Option<bool>,
    underlined: Option<bool>,
    reversed: Option<bool>,
}

impl StyleFile {
    fn to_style(&self) -> Style {
        let mut style = Style::default();
        if let Some(ColorSpec(fg)) = self.fg {
            style = style.fg(fg);
        }
        if let Some(ColorSpec(bg)) = self.bg {
            style = style.bg(bg);
        }
        for (flag, modifier) in [
            (self.bold, Modifier::BOLD),
            (self.dim, Modifier::DIM),
            (self.italic, Modifier::ITALIC),
            (self.underlined, Modifier::UNDERLINED),
            (self.reversed, Modifier::REVERSED),
        ] {
            if flag == Some(true) {
                style = style.add_modifier(modifier);
            }
        }
        style
    }
}

macro_rules! roles {
    ($($role:ident),* $(,)?) => {
        /// The roles a theme file may set; an unknown role is refused.
        #[derive(Debug, Clone, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct RolesFile {
            $( $role: Option<StyleFile>, )*
        }

        /// Every role resolved to a style.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct Roles {
            $( pub $role: Style, )*
        }

        impl Roles {
            fn overlay(mut self, file: &RolesFile) -> Roles {
                $( if let Some(style) = &file.$role { self.$role = style.to_style(); } )*
                self
            }

            fn map(self, f: impl Fn(&'static str, Style) -> Style) -> Roles {
                Roles { $( $role: f(stringify!($role), self.$role), )* }
            }
        }

        /// The role names, as theme files spell them.
        pub const ROLE_NAMES: &[&str] = &[$( stringify!($role), )*];
    };
}

roles!(
    text,
    muted,
    title,
    title_focused,
    border,
    border_focused,
    header,
    selection,
    gain,
    loss,
    health_ok,
    health_pending,
    health_degraded,
    health_failed,
    live_badge,
    paper_badge,
    warning,
    status_bar,
);

/// A theme file: which embedded theme it extends and the roles it sets.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    /// A sentence shown nowhere but in the file, for whoever edits it.
    #[allow(dead_code)]
    description: Option<String>,
    extends: Option<String>,
    roles: Option<RolesFile>,
}

/// A resolved theme: every role a style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    pub name: String,
    pub roles: Roles,
    /// True when colours were dropped (NO_COLOR).
    pub no_color: bool,
}

impl Theme {
    /// The built-in dark theme, for when the configured one cannot be loaded. Never fails.
    /// `themes/dark.toml` says the same (a test checks it).
    pub fn fallback() -> Theme {
        let fg = |color| Style::default().fg(color);
        Theme {
            name: "dark".to_string(),
            no_color: false,
            roles: Roles {
                text: fg(Color::Gray),
                muted: fg(Color::DarkGray),
                title: fg(Color::Gray).add_modifier(Modifier::BOLD),
                title_focused: fg(Color::Black).bg(Color::Cyan).add_modifier(Modifier::BOLD),
                border: fg(Color::DarkGray),
                border_focused: fg(Color::Cyan),
                header: fg(Color::Yellow).add_modifier(Modifier::BOLD),
                selection: fg(Color::Black).bg(Color::Gray),
                gain: fg(Color::LightGreen),
                loss: fg(Color::LightRed),
                health_ok: fg(Color::Green),
                health_pending: fg(Color::Yellow),
                health_degraded: fg(Color::LightYellow).add_modifier(Modifier::BOLD),
                health_failed: fg(Color::LightRed).add_modifier(Modifier::BOLD),
                live_badge: fg(Color::White).bg(Color::Red).add_modifier(Modifier::BOLD),
                paper_badge: fg(Color::Black).bg(Color::Green).add_modifier(Modifier::BOLD),
                warning: fg(Color::Yellow),
                status_bar: fg(Color::Gray).bg(Color::Indexed(236)),
            },
        }
    }

    /// `title(focused)`.
    pub fn title(&self, focused: bool) -> Style {
        if focused {
            self.roles.title_focused
        } else {
            self.roles.title
        }
    }

    /// `border(focused)`.
    pub fn border(&self, focused: bool) -> Style {
        if focused {
            self.roles.border_focused
        } else {
            self.roles.border
        }
    }

    /// `pnl(sign)`: gain above zero, loss below, plain text at zero.
    pub fn pnl(&self, value: Decimal) -> Style {
        if value.is_zero() {
            self.roles.text
        } else if value.is_sign_positive() {
            self.roles.gain
        } else {
            self.roles.loss
        }
    }

    /// `health(state)`.
    pub fn health(&self, health: Health) -> Style {
        match health {
            Health::Pending => self.roles.health_pending,
            Health::Ok => self.roles.health_ok,
            Health::Degraded => self.roles.health_degraded,
            Health::Failed => self.roles.health_failed,
        }
    }

    /// The same theme with every colour removed. Roles that must still stand apart without
    /// colour get a modifier: focus, selection and the LIVE badge reversed, headers and
    /// failures bold.
    pub fn without_color(self) -> Theme {
        let roles = self.roles.map(|role, style| {
            let kept = Style::default().add_modifier(style.add_modifier);
            let needed = match role {
                "title_focused" | "selection" | "live_badge" | "paper_badge" => Modifier::REVERSED | Modifier::BOLD,
                "border_focused" | "header" | "health_failed" | "health_degraded" | "warning" => Modifier::BOLD,
                "muted" => Modifier::DIM,
                "status_bar" => Modifier::REVERSED,
                _ => Modifier::empty(),
            };
            kept.add_modifier(needed)
        });
        Theme { name: self.name, roles, no_color: true }
    }
}

impl Default for Theme {
    fn default() -> Self {
        Theme::fallback()
    }
}

/// Parse one theme file's text; `path` names it in errors.
fn parse_file(text: &str, path: &Path) -> Result<ThemeFile, ThemeError> {
    toml::from_str(text).map_err(|e| ThemeError::from(syntax_error(path, text, &e)))
}

fn embedded_text(name: &str) -> Option<&'static str> {
    EMBEDDED.iter().find(|(n, _)| *n == name).map(|(_, text)| *text)
}

fn embedded_path(name: &str) -> PathBuf {
    PathBuf::from(format!("<embedded themes/{name}.toml>"))
}

/// Resolve a parsed file over its base: the fallback with the embedded base file laid over it.
/// A base's own `extends` is not followed (one level keeps this simple and finite).
fn resolve(name: &str, file: &ThemeFile, path: &Path) -> Result<Theme, ThemeError> {
    let base_name = file.extends.as_deref().unwrap_or(DEFAULT_BASE);
    let Some(base_text) = embedded_text(base_name) else {
        return Err(ThemeError::UnknownBase {
            path: path.to_path_buf(),
            base: base_name.to_string(),
            available: embedded_theme_names().join(", "),
        });
    };
    let base_file = parse_file(base_text, &embedded_path(base_name))?;
    let base = Theme::fallback().roles.overlay(&base_file.roles.unwrap_or_default());
    let roles = base.overlay(&file.roles.clone().unwrap_or_default());
    Ok(Theme { name: name.to_string(), roles, no_color: false })
}

/// Parse and resolve theme text (used for the user's files and in tests).
pub fn theme_from_text(name: &str, text: &str, path: &Path, no_color: bool) -> Result<Theme, ThemeError> {
    let file = parse_file(text, path)?;
    let theme = resolve(name, &file, path)?;
    Ok(if no_color { theme.without_color() } else { theme })
}

/// Load the theme `name`: `<user_dir>/<name>.toml` if it exists (a user file may replace an
/// embedded theme of the same name), else the embedded one.
pub fn load_theme(name: &str, user_dir: &Path, no_color: bool) -> Result<Theme, ThemeError> {
    let user_path = user_dir.join(format!("{name}.toml"));
    let is_plain_name = !name.is_empty() && !name.contains(['/', '\\']) && name != "." && name != "..";
    if is_plain_name && user_path.is_file() {
        let text = std::fs::read_to_string(&user_path)
            .map_err(|source| ThemeError::Read { path: user_path.clone(), source })?;
        return theme_from_text(name, &text, &user_path, no_color);
    }
    match embedded_text(name) {
        Some(text) => theme_from_text(name, text, &embedded_path(name), no_color),
        None => Err(ThemeError::NotFound {
            name: name.to_string(),
            path: user_path,
            available: embedded_theme_names().join(", "),
        }),
    }
}

/// The theme names in the user's folder (`*.toml`), sorted; empty when the folder is absent.
pub fn user_theme_names(user_dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(user_dir) else { return Vec::new() };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|ext| ext == "toml"))
        .filter_map(|p| p.file_stem().and_then(|s| s.to_str()).map(str::to_owned))
        .collect();
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> (PathBuf, String) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/themes").join(name);
        let text = std::fs::read_to_string(&path).expect("fixture exists");
        (path, text)
    }

    fn fixture_error(name: &str) -> String {
        let (path, text) = fixture(name);
        let error = theme_from_text("fixture", &text, &path, false).expect_err("fixture is invalid");
        error.to_string()
    }

    #[test]
    fn every_embedded_theme_parses_and_sets_every_role() {
        for name in embedded_theme_names() {
            let text = embedded_text(name).expect("embedded");
            let file = parse_file(text, &embedded_path(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(file.roles.is_some(), "{name} has a [roles] table");
            // Every role is written out, so a theme never silently inherits dark's colours.
            let as_toml: toml::Value = toml::from_str(text).expect("toml");
            let table = as_toml.get("roles").and_then(|r| r.as_table()).expect("roles table");
            for role in ROLE_NAMES {
                assert!(table.contains_key(*role), "{name} does not set {role}");
            }
            let theme = load_theme(name, Path::new("/nonexistent"), false).expect("loads");
            assert_eq!(theme.name, name);
        }
        assert_eq!(embedded_theme_names()[0], "dark");
        assert!(embedded_theme_names().len() >= 4);
    }

    #[test]
    fn embedded_dark_is_the_fallback() {
        let dark = load_theme("dark", Path::new("/nonexistent"), false).expect("dark loads");
        assert_eq!(dark, Theme::fallback());
    }

    #[test]
    fn colorblind_theme_shows_gain_blue_and_loss_orange() {
        let theme = load_theme("colorblind", Path::new("/nonexistent"), false).expect("loads");
        let gain = theme.pnl(Decimal::ONE).fg.expect("gain has a colour");
        let loss = theme.pnl(Decimal::NEGATIVE_ONE).fg.expect("loss has a colour");
        assert!(matches!(gain, Color::Rgb(r, _, b) if b > r), "gain is blue: {gain:?}");
        assert!(matches!(loss, Color::Rgb(r, g, b) if r > g && g > b), "loss is orange: {loss:?}");
    }

    #[test]
    fn no_color_keeps_no_colour_at_all_but_focus_and_selection_stay_visible() {
        for name in embedded_theme_names() {
            let theme = load_theme(name, Path::new("/nonexistent"), true).expect("loads");
            assert!(theme.no_color);
            let r = &theme.roles;
            for style in [
                r.text,
                r.muted,
                r.title,
                r.title_focused,
                r.border,
                r.border_focused,
                r.header,
                r.selection,
                r.gain,
                r.loss,
                r.health_ok,
                r.health_pending,
                r.health_degraded,
                r.health_failed,
                r.live_badge,
                r.paper_badge,
                r.warning,
                r.status_bar,
            ] {
                assert_eq!((style.fg, style.bg, style.underline_color), (None, None, None), "{name}: {style:?}");
            }
            assert!(r.selection.add_modifier.contains(Modifier::REVERSED));
            assert!(r.title_focused.add_modifier.contains(Modifier::REVERSED));
            assert!(r.live_badge.add_modifier.contains(Modifier::REVERSED));
            assert_ne!(theme.title(true), theme.title(false));
        }
    }

    #[test]
    fn a_user_file_replaces_only_the_roles_it_sets_and_may_extend_another() {
        let dir = std::env::temp_dir().join(format!("robo-tui-theme-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(dir.join("mine.toml"), "extends = \"light\"\n[roles]\ngain = { fg = \"#00ff00\" }\n")
            .expect("write");
        let mine = load_theme("mine", &dir, false).expect("loads");
        let light = load_theme("light", &dir, false).expect("loads");
        assert_eq!(mine.roles.gain, Style::default().fg(Color::Rgb(0, 255, 0)));
        assert_eq!(mine.roles.loss, light.roles.loss);
        assert_eq!(user_theme_names(&dir), vec!["mine".to_string()]);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn a_valid_user_theme_fixture_loads_by_name_over_its_base() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/themes");
        let ocean = load_theme("ocean", &dir, false).expect("valid fixture");
        let light = load_theme("light", Path::new("/nonexistent"), false).expect("light");
        assert_eq!(ocean.name, "ocean");
        assert_eq!(
            ocean.roles.title_focused,
            Style::default().fg(Color::White).bg(Color::Rgb(0, 0x5f, 0x87)).add_modifier(Modifier::BOLD)
        );
        assert_eq!(ocean.roles.border_focused, Style::default().fg(Color::Indexed(24)));
        assert_eq!(ocean.roles.gain, Style::default().fg(Color::LightBlue).add_modifier(Modifier::ITALIC));
        assert_eq!(ocean.roles.loss, light.roles.loss, "roles it does not set come from light");
        // An invalid file in the same folder names its real path.
        let error = load_theme("bad_colour", &dir, false).expect_err("invalid fixture");
        assert!(error.to_string().starts_with(&format!("{}:4:15:", dir.join("bad_colour.toml").display())), "{error}");
    }

    #[test]
    fn an_unknown_theme_names_what_exists() {
        let error = load_theme("neon", Path::new("/nonexistent"), false).expect_err("no such theme");
        let text = error.to_string();
        assert!(text.contains("\"neon\"") && text.contains("dark, light, high-contrast, colorblind"), "{text}");
    }

    #[test]
    fn an_unknown_role_is_refused_with_file_line_and_column() {
        let text = fixture_error("unknown_role.toml");
        assert!(text.contains("unknown_role.toml:5:1:"), "{text}");
        assert!(text.contains("unknown field `titel`"), "{text}");
        assert!(text.contains("expected one of"), "{text}");
    }

    #[test]
    fn a_bad_colour_is_refused_with_file_line_column_and_the_forms_expected() {
        let text = fixture_error("bad_colour.toml");
        assert!(text.contains("bad_colour.toml:4:15:"), "{text}");
        assert!(text.contains("unknown colour \"purpleish\""), "{text}");
        assert!(text.contains("#rrggbb"), "{text}");
    }

    #[test]
    fn a_toml_syntax_error_is_refused_with_file_line_and_column() {
        let text = fixture_error("syntax_error.toml");
        assert!(text.contains("syntax_error.toml:3:22: invalid inline table\nexpected `}`"), "{text}");
    }

    #[test]
    fn an_unknown_style_key_and_an_unknown_base_are_refused() {
        let text = fixture_error("unknown_style_key.toml");
        assert!(text.contains("unknown_style_key.toml:3:"), "{text}");
        assert!(text.contains("unknown field `blink`"), "{text}");
        let text = fixture_error("unknown_base.toml");
        assert!(text.contains("extends \"solarized\""), "{text}");
    }
}
