//! The crate's integration tests, one binary (each links the AWS SDK and the HTTP stack once,
//! not once a file): a module each.

/// Runs each of `tests` against both stores: memory, and DynamoDB (moto, as the test command
/// starts it); each test is an `async fn(store)` of the module that names it.
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)] async fn $name() { super::$name(shared::adapters::MemoryStore::new()).await; })*
        }
        mod dynamodb {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)] async fn $name() { super::$name(shared::testing::dynamo_store().await).await; })*
        }
    };
}

/// An address where nothing listens, and the socket that keeps it so: bound and never listening,
/// a connection to it is refused, and no other process can take the port while the test holds
/// it (one bound and let go can be taken by any server starting beside the tests).
fn refusing_address() -> (tokio::net::TcpSocket, std::net::SocketAddr) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(([127, 0, 0, 1], 0).into()).unwrap();
    let address = socket.local_addr().unwrap();
    (socket, address)
}

/// The service on Vonage's simulator and `store` (DynamoDB behind a proxy, in the tests that use
/// it), its clock at the top of this hour so that the hourly windows the tests count in do not
/// turn over under them; the simulator keeps real time, which only its own code lifetimes and its
/// 30-second cancel rule read.
async fn service_on(
    store: shared::adapters::DynamoStore,
) -> (
    vonage_sim::Running,
    shared::clock::ManualClock,
    shared::service::VerificationService<
        shared::adapters::vonage::VonageClient,
        shared::adapters::DynamoStore,
        shared::clock::ManualClock,
    >,
) {
    let sim = vonage_sim::Simulator::spawn(vonage_sim::SimConfig::default()).await.unwrap();
    let config = shared::testing::config(&sim.base_url(), &[]);
    let provider = shared::adapters::vonage::VonageClient::new(config.vonage.clone()).unwrap();
    let now = time::OffsetDateTime::now_utc();
    let clock = shared::clock::ManualClock::at(now.replace_time(time::Time::from_hms(now.hour(), 0, 0).unwrap()));
    let hasher = shared::domain::subject_key::SubjectHasher::new(config.phone_hash_key.clone());
    let service = shared::service::VerificationService::new(provider, store, clock.clone(), hasher, config.policy);
    (sim, clock, service)
}

mod aws_sms_simulator;
mod concurrent_checks;
mod dynamo_unreachable;
mod dynamo_wire;
mod layers;
mod lost_answers;
mod service_dynamodb;
mod sign_in_contract;
mod sign_in_secret;
mod store_contract;
mod throttled_store;
mod turnstile;
mod vonage_simulator;
mod vonage_wire;
