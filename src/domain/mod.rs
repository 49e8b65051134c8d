//! The vocabulary of the product: life domains, roles, organisation kinds and the statuses of
//! cases, meetings, actions and escalations. Every value has one stable code (used by the API, the
//! database and the signalling protocol) and, where users see it, a Dutch and English label.
//!
//! Also the pure rules over that vocabulary, which take the time as an input: [`rules`] (which
//! escalations should exist) and [`readiness`] (lead times before the release).

#[macro_use]
mod text_enum;
mod life_domain;
pub mod readiness;
pub mod rules;
pub mod validate;

pub use life_domain::LifeDomain;

text_enum! {
    /// What a user does in Ketentafel (DESIGN.md, "People and what they do").
    pub enum Role {
        /// PI casemanager: opens cases, invites partners, schedules and chairs conferences.
        Casemanager = "casemanager",
        /// Municipal re-integration officer or ZVH process lead: chairs, keeps the overview.
        Coordinator = "coordinator",
        /// A professional of a chain partner: joins conferences, owns and updates actions.
        Partner = "partner",
        /// Member of the ZVH steering group: reviews escalations and decides.
        Steering = "steering",
        /// Functional administrator: organisations, accounts, retention.
        Admin = "admin",
    }
}

impl Role {
    /// Roles that may chair a conference and manage a case they are on.
    pub fn can_chair(self) -> bool {
        matches!(self, Role::Casemanager | Role::Coordinator)
    }
}

text_enum! {
    /// What an administrator asked for that waits for a second administrator (four eyes).
    pub enum AccountRequestKind {
        /// A new account: on approval its holder gets an activation link.
        Create = "create",
        /// A password reset: the old password is void at once; on approval the holder gets an
        /// activation link.
        Reset = "reset",
        /// A new role or organisation, or a reactivation: applied on approval.
        Change = "change",
    }
}

text_enum! {
    /// The kind of a chain-partner organisation.
    pub enum OrganisationKind {
        Pi = "pi",
        Municipality = "municipality",
        Probation = "probation",
        Police = "police",
        Housing = "housing",
        SocialServices = "social_services",
        DebtCounselling = "debt_counselling",
        Care = "care",
        Zvh = "zvh",
        Other = "other",
    }
}

text_enum! {
    /// Whether a case is still being worked on.
    pub enum CaseStatus {
        Open = "open",
        Closed = "closed",
    }
}

text_enum! {
    /// A conference moves one way: scheduled → live → closed.
    pub enum MeetingStatus {
        Scheduled = "scheduled",
        Live = "live",
        Closed = "closed",
    }
}

text_enum! {
    /// The life of an agreed action.
    pub enum ActionStatus {
        Open = "open",
        InProgress = "in_progress",
        Done = "done",
        Blocked = "blocked",
        Cancelled = "cancelled",
    }
}

impl ActionStatus {
    /// An action that still asks for work: it is carried over to the next conference.
    pub fn is_pending(self) -> bool {
        matches!(self, Self::Open | Self::InProgress | Self::Blocked)
    }
}

text_enum! {
    /// Who an invite lets into a conference.
    pub enum InviteKind {
        /// A user with an account; the link only works for that user.
        Member = "member",
        /// A named professional without an account; accepts a confidentiality statement first.
        Guest = "guest",
        /// The detainee: no account, only his own conference, only the plain-language plan.
        Client = "client",
    }
}

text_enum! {
    /// Why an escalation was opened.
    pub enum EscalationReason {
        Overdue = "overdue",
        Blocked = "blocked",
        CarriedOver = "carried_over",
        Manual = "manual",
    }
}

text_enum! {
    /// Where an escalation stands in the steering group's workflow.
    pub enum EscalationStatus {
        Open = "open",
        UnderReview = "under_review",
        Decided = "decided",
        Closed = "closed",
    }
}

text_enum! {
    /// What the steering group decided.
    pub enum DecisionKind {
        /// An organisation is made responsible, with a due date.
        Assigned = "assigned",
        /// The matter is settled.
        Resolved = "resolved",
        /// The case team handles it after all.
        Returned = "returned",
        /// It is a systemic bottleneck (knelpunt) and goes into the obstacles register.
        Obstacle = "obstacle",
    }
}

text_enum! {
    /// Progress on a systemic bottleneck (knelpunt).
    pub enum ObstacleStatus {
        Open = "open",
        InProgress = "in_progress",
        Resolved = "resolved",
    }
}
