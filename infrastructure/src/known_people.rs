//! Who veche knows: an address someone has invited (or who organises), from the calendar
//! read model. Email sign-in may be limited to them.

use application::ports::PortError;
use application::sign_in::KnownPeople;
use domain::values::EmailAddress;
use sqlx::PgPool;

pub struct PgKnownPeople(pub PgPool);

impl KnownPeople for PgKnownPeople {
    async fn is_known(&self, email: &EmailAddress) -> Result<bool, PortError> {
        Ok(projections::queries::has_meetings(&self.0, email).await?)
    }
}
