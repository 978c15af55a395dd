// End-to-end tests start a runtime and Lambda sandboxes per file; give them room on small CI machines.
jest.setTimeout(180_000);
// The SDK's "Node 22 soon required" notice is about this machine's Node 20, not the code under test.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
