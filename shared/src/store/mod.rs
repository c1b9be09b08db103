//! Store adapters: DynamoDB for deployments, memory for unit tests and the local run.

pub mod dynamo;
pub mod memory;
pub mod record_cipher;

pub use dynamo::DynamoStore;
pub use memory::MemoryStore;
pub use record_cipher::RecordCipher;
