//! The cockpit's panes, popups and layout. Rendering is a pure function of `&Store`, the view state and the theme.
