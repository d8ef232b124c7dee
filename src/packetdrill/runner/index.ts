/**
 * The packetdrill runner: runs parsed .pkt scripts against zerostack in virtual
 * time and gives each a strict and a portable verdict (see docs/packetdrill.md).
 */
export { runScript, runScriptText, LOCAL_IP, REMOTE_IP, GATEWAY_IP, SCRIPT_PORT, type RunOptions } from './runner.js';
export { firstMismatch, formatFailure, type Failure, type ScriptResult, type Verdict } from './result.js';
export { SYSCTL_TABLE, parseSysctl, sysctlEffect, type SysctlEffect, type SysctlRule } from './sysctl.js';
export { compareOptions, compareSegment, type Difference, type ExpectedSegment } from './expect.js';
export { PROFILES, profileConfig, type ProfileName } from './profile.js';
