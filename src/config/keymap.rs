//! Keymap: keys to actions, remappable in the config; the help overlay is built from `desc`.
