//! The faasplan web app.
