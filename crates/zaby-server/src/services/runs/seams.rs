//! The seam implementations that match what exists today, until the MCP and
//! knowledge domains install theirs in `Ctx` (`app::open`):
//!
//! * [`NoTools`]: agents cannot have MCP attachments yet (E9 answers 422), so no
//!   tool is offered, and a call can never be decided or invoked.
//! * [`NoKnowledge`]: no knowledge base or memory item can exist yet, so retrieval
//!   finds nothing and memory candidates are not stored.

use async_trait::async_trait;
use serde_json::Value;

use crate::error::{ApiError, ApiResult};
use crate::services::run_seams::{
    OfferedTool, Passage, RunKnowledge, RunScope, ToolDecision, ToolGateway, ToolOutcome,
};

pub struct NoTools;

#[async_trait]
impl ToolGateway for NoTools {
    async fn offered_tools(&self, _: &RunScope, _: &[Value]) -> ApiResult<Vec<OfferedTool>> {
        Ok(Vec::new())
    }

    async fn decide(&self, _: &RunScope, tool: &OfferedTool, _: &Value) -> ApiResult<ToolDecision> {
        Err(ApiError::internal(format!("tool {} is not offered by this server", tool.name)))
    }

    async fn invoke(&self, _: &RunScope, tool: &OfferedTool, _: &Value) -> ApiResult<ToolOutcome> {
        Err(ApiError::internal(format!("tool {} is not offered by this server", tool.name)))
    }
}

pub struct NoKnowledge;

#[async_trait]
impl RunKnowledge for NoKnowledge {
    async fn retrieve(&self, _: &RunScope, _: &[Value], _: &str) -> ApiResult<Vec<Passage>> {
        Ok(Vec::new())
    }

    async fn propose_memory(&self, _: &RunScope, _: &Value, _: Vec<(String, String)>) -> ApiResult<()> {
        Ok(())
    }
}
