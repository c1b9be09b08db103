//! Table administration: creating the table with its key and TTL, and the operator's switch.

use super::*;

impl DynamoStore {
    /// Sets the operator's switch (the item docs/operate/operations.md puts with the AWS CLI).
    pub async fn set_sending_stopped(&self, stopped: bool) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item(PARTITION_KEY, AttributeValue::S(SENDING_SWITCH_KEY.into()))
            .item(STOPPED, AttributeValue::Bool(stopped))
            .send()
            .await
            .map_err(|e| sdk_error("PutItem", e))?;
        Ok(())
    }

    /// Sets the operator's switch for some providers only (`providers`, a string set), the others
    /// still sending; none: every provider sends.
    pub async fn set_stopped_providers(&self, providers: &[ProviderName]) -> Result<(), StoreError> {
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(PARTITION_KEY, AttributeValue::S(SENDING_SWITCH_KEY.into()));
        if !providers.is_empty() {
            let names = providers.iter().map(|p| p.as_str().to_owned()).collect();
            put = put.item(STOPPED_PROVIDERS, AttributeValue::Ss(names));
        }
        put.send().await.map_err(|e| sdk_error("PutItem", e))?;
        Ok(())
    }

    /// Creates the table as the deployment template does (on-demand, TTL on `ttl`), for tests and
    /// local runs against a local DynamoDB-compatible server. A table that exists is left as it is.
    pub async fn create_table(&self) -> Result<(), StoreError> {
        let created = self
            .client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(PARTITION_KEY)
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .map_err(build_error)?,
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name(PARTITION_KEY)
                    .key_type(KeyType::Hash)
                    .build()
                    .map_err(build_error)?,
            )
            .send()
            .await;
        match created {
            Ok(_) => {}
            Err(e) if e.code() == Some("ResourceInUseException") => return Ok(()),
            Err(e) => return Err(sdk_error("CreateTable", e)),
        }
        self.client
            .update_time_to_live()
            .table_name(&self.table)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .enabled(true)
                    .attribute_name(TTL_ATTRIBUTE)
                    .build()
                    .map_err(build_error)?,
            )
            .send()
            .await
            .map_err(|e| sdk_error("UpdateTimeToLive", e))?;
        Ok(())
    }
}
