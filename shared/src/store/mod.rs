//! Store adapters: DynamoDB for deployments, memory for unit tests and the local run.

pub mod dynamo;
pub mod memory;

pub use dynamo::DynamoStore;
pub use memory::MemoryStore;
