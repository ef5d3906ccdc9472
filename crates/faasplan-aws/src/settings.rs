//! Where and how patiently the backend talks to AWS.

use std::path::PathBuf;
use std::time::Duration;

/// Settings of an AWS session.
#[derive(Clone, Debug, PartialEq)]
pub struct AwsSettings {
    /// Region; `None` takes it from the standard chain (`AWS_REGION`, the profile).
    pub region: Option<String>,
    /// Named profile of the shared config files; `None` is the default chain's choice.
    pub profile: Option<String>,
    /// Endpoint of every service (an emulator such as moto's server); `None` is AWS.
    pub endpoint_url: Option<String>,
    /// Use fixed dummy credentials instead of the chain: only allowed with an
    /// `endpoint_url` (emulators accept any credentials).
    pub emulator_credentials: bool,
    /// Pause between status polls.
    pub poll: Duration,
    /// Longest wait for a function update to finish.
    pub update_timeout: Duration,
    /// Longest wait for one execution to end.
    pub execution_timeout: Duration,
    /// Longest wait for the `REPORT` lines of the runs to reach CloudWatch Logs.
    pub log_wait: Duration,
    /// The log collection ends once every execution has its lines and their
    /// count has not changed for this long.
    pub log_settle: Duration,
    /// Where a run keeps the configuration it remembered until it has put it
    /// back ([`crate::Session::restore_interrupted`] reads it after a crash);
    /// `None` keeps it in memory only.
    pub restore_file: Option<PathBuf>,
}

impl Default for AwsSettings {
    fn default() -> Self {
        AwsSettings {
            region: None,
            profile: None,
            endpoint_url: None,
            emulator_credentials: false,
            poll: Duration::from_millis(1000),
            update_timeout: Duration::from_secs(300),
            execution_timeout: Duration::from_secs(900),
            log_wait: Duration::from_secs(120),
            log_settle: Duration::from_secs(10),
            restore_file: None,
        }
    }
}

impl AwsSettings {
    /// Settings for an emulator at `endpoint_url` (dummy credentials, short waits).
    pub fn emulator(endpoint_url: &str) -> Self {
        AwsSettings {
            region: Some("us-east-1".into()),
            endpoint_url: Some(endpoint_url.to_string()),
            emulator_credentials: true,
            poll: Duration::from_millis(100),
            update_timeout: Duration::from_secs(20),
            execution_timeout: Duration::from_secs(30),
            log_wait: Duration::from_secs(20),
            log_settle: Duration::from_millis(500),
            ..AwsSettings::default()
        }
    }

    /// Checks the settings.
    pub fn validate(&self) -> Result<(), crate::AwsError> {
        let bad = |m: &str| Err(crate::AwsError::new(crate::ErrorKind::Input, m));
        if self.emulator_credentials && self.endpoint_url.is_none() {
            return bad(
                "emulator credentials need an endpoint URL: against AWS, credentials come from the standard chain",
            );
        }
        if self.poll.is_zero() {
            return bad("poll interval: must be above 0");
        }
        if let Some(u) = &self.endpoint_url
            && !(u.starts_with("http://") || u.starts_with("https://"))
        {
            return bad(&format!(
                "endpoint URL {u}: must start with http:// or https://"
            ));
        }
        Ok(())
    }
}
