//! Platform facts: prices, the memory-to-CPU ratio and limits, as data.
//!
//! Cost of one function instance that runs `t` seconds with `m` MB:
//! `ceil(t / granularity) * granularity * m / 1024 * price_per_gb_s + price_per_request`.

use serde::{Deserialize, Serialize};

use crate::pricing::{Pricing, PricingError};

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
    /// Orchestration and intermediate-data prices (see [`crate::pricing`]); none by default.
    /// Boxed: a platform travels inside every project message of the app, which
    /// stays small this way.
    #[serde(default, skip_serializing_if = "Pricing::is_default")]
    pub pricing: Box<Pricing>,
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
            pricing: Box::default(),
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

impl Platform {
    /// The architecture the platform's prices are for: arm64 when its name says
    /// `arm64` (the preset "AWS Lambda arm64"), else x86_64. Stages may allow the
    /// other one ([`crate::arch`]).
    pub fn architecture(&self) -> crate::arch::Arch {
        if self.name.to_ascii_lowercase().contains("arm64") {
            crate::arch::Arch::Arm64
        } else {
            crate::arch::Arch::X86_64
        }
    }
}

impl Default for Platform {
    fn default() -> Self {
        Preset::AwsX86_64.platform()
    }
}

/// Why a [`Platform`] is not usable.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PlatformError {
    /// A price is negative or not finite.
    #[error("platform.{field}: {value} is not a finite price of at least 0")]
    Price {
        /// `price_per_gb_s` or `price_per_request`.
        field: &'static str,
        /// The offending value, USD.
        value: f64,
    },
    /// `mb_per_vcpu` is not positive and finite.
    #[error("platform.mb_per_vcpu: {0} is not a finite value above 0")]
    MbPerVcpu(f64),
    /// `min_memory_mb` is 0 or exceeds `max_memory_mb`.
    #[error(
        "platform.min_memory_mb: {min_mb} must be at least 1 and at most max_memory_mb {max_mb}"
    )]
    MemoryRange {
        /// `min_memory_mb`.
        min_mb: u32,
        /// `max_memory_mb`.
        max_mb: u32,
    },
    /// `billing_granularity_ms` is not positive and finite.
    #[error("platform.billing_granularity_ms: {0} is not a finite value above 0")]
    Granularity(f64),
    /// `timeout_s` is not positive and finite.
    #[error("platform.timeout_s: {0} is not a finite value above 0")]
    Timeout(f64),
    /// `concurrency_limit` is 0.
    #[error("platform.concurrency_limit: must be at least 1")]
    Concurrency,
    /// The orchestration or storage prices are not usable.
    #[error("{0}")]
    Pricing(#[from] PricingError),
}

impl Platform {
    /// Checks that prices are finite and ≥ 0, `mb_per_vcpu`, the billing
    /// granularity and the timeout are finite and > 0, `1 ≤ min_memory_mb ≤
    /// max_memory_mb`, the concurrency limit is at least 1 and the
    /// [`Pricing`] holds finite, non-negative values.
    pub fn validate(&self) -> Result<(), PlatformError> {
        for (field, value) in [
            ("price_per_gb_s", self.price_per_gb_s),
            ("price_per_request", self.price_per_request),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(PlatformError::Price { field, value });
            }
        }
        let positive = |v: f64| v.is_finite() && v > 0.0;
        if !positive(self.mb_per_vcpu) {
            return Err(PlatformError::MbPerVcpu(self.mb_per_vcpu));
        }
        if self.min_memory_mb == 0 || self.min_memory_mb > self.max_memory_mb {
            return Err(PlatformError::MemoryRange {
                min_mb: self.min_memory_mb,
                max_mb: self.max_memory_mb,
            });
        }
        if !positive(self.billing_granularity_ms) {
            return Err(PlatformError::Granularity(self.billing_granularity_ms));
        }
        if !positive(self.timeout_s) {
            return Err(PlatformError::Timeout(self.timeout_s));
        }
        if self.concurrency_limit == 0 {
            return Err(PlatformError::Concurrency);
        }
        self.pricing.validate(None)?;
        Ok(())
    }
}
