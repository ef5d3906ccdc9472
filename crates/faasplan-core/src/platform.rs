//! Platform facts: prices, the memory-to-CPU ratio and limits, as data.
//!
//! Cost of one function instance that runs `t` seconds with `m` MB:
//! `ceil(t / granularity) * granularity * m / 1024 * price_per_gb_s + price_per_request`.

use serde::{Deserialize, Serialize};

/// A serverless platform's prices and limits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Platform {
    /// Display name, e.g. "AWS Lambda x86_64".
    pub name: String,
    /// Price of one GB-second of duration, USD.
    pub price_per_gb_s: f64,
    /// Price of one request (invocation), USD.
    pub price_per_request: f64,
    /// Memory that buys one vCPU, MB (linear).
    pub mb_per_vcpu: f64,
    /// Smallest memory size a function may have, MB.
    pub min_memory_mb: u32,
    /// Largest memory size a function may have, MB.
    pub max_memory_mb: u32,
    /// Billing granularity, ms.
    pub billing_granularity_ms: f64,
    /// Per-function timeout, s.
    pub timeout_s: f64,
    /// Most instances that may run at once (sum of d over concurrently running stages).
    pub concurrency_limit: u32,
}

/// The built-in platform settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// AWS Lambda, x86_64, us-east-1.
    AwsX86_64,
    /// AWS Lambda, arm64 (Graviton), us-east-1.
    AwsArm64,
    /// AWS x86_64 prices with 1,792 MB per vCPU, as the bundled Jolteon profiles were measured.
    JolteonProfiled,
}

impl Preset {
    /// Every preset, in menu order.
    pub const ALL: [Preset; 3] = [Preset::AwsX86_64, Preset::AwsArm64, Preset::JolteonProfiled];

    /// The platform this preset stands for.
    pub fn platform(self) -> Platform {
        let aws = |name: &str, price_per_gb_s: f64, mb_per_vcpu: f64| Platform {
            name: name.to_string(),
            price_per_gb_s,
            price_per_request: 0.2e-6,
            mb_per_vcpu,
            min_memory_mb: 128,
            max_memory_mb: 10_240,
            billing_granularity_ms: 1.0,
            timeout_s: 900.0,
            concurrency_limit: 1000,
        };
        match self {
            Preset::AwsX86_64 => aws("AWS Lambda x86_64", 0.000_016_666_7, 1769.0),
            Preset::AwsArm64 => aws("AWS Lambda arm64", 0.000_013_333_4, 1769.0),
            Preset::JolteonProfiled => {
                aws("AWS Lambda x86_64, 1,792 MB/vCPU", 0.000_016_666_7, 1792.0)
            }
        }
    }
}

impl Default for Platform {
    fn default() -> Self {
        Preset::AwsX86_64.platform()
    }
}
