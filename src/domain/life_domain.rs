text_enum! {
    /// The five basic conditions for re-integration (basisvoorwaarden, "leefgebieden"). The code
    /// is stable; what users read comes from the translation table (`domain.<code>`).
    pub enum LifeDomain {
        /// ID card, postal address, DigiD, bank account.
        Id = "id",
        /// Shelter, housing corporation, rent arrears.
        Housing = "housing",
        /// Benefit, job, education, daytime activity.
        WorkIncome = "work_income",
        /// CJIB payment plan, debt counselling, budget.
        Debts = "debts",
        /// Health insurance, addiction care, mental health.
        Care = "care",
    }
}

impl LifeDomain {
    /// Days before the release date by which this domain should be in hand, from DESIGN.md: an ID
    /// takes a postal address and about a week (three weeks' margin); a benefit up to eight
    /// weeks; housing must be settled well before the three months after which arrears lead to
    /// eviction; a payment plan takes about a month; health insurance must run on the day of
    /// release (two weeks to arrange the reactivation).
    pub const fn default_lead_days(self) -> u32 {
        match self {
            LifeDomain::Id => 21,
            LifeDomain::Housing => 42,
            LifeDomain::WorkIncome => 56,
            LifeDomain::Debts => 28,
            LifeDomain::Care => 14,
        }
    }
}
