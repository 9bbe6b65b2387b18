package result

// Problem ids of a comparison with a baseline (certgate diff, check
// --baseline): each is a change between two runs of one target. Their
// severities are fixed: the error ones fail the comparison.
const (
	// ProblemChangedRoot: the chain now ends at another root (error: a
	// surprise switch of CA).
	ProblemChangedRoot = "changed-root"
	// ProblemChangedIssuer: the leaf is issued by another intermediate of
	// the same root (warn: CAs rotate their intermediates).
	ProblemChangedIssuer = "changed-issuer"
	// ProblemChangedChain: the presented chain has another shape: more or
	// fewer certificates, or other intermediates (warn).
	ProblemChangedChain = "changed-chain"
	// ProblemVerdictWorse: the status is worse than the baseline's (error);
	// its code is the new result's code.
	ProblemVerdictWorse = "verdict-worse"
	// ProblemKeyWeaker: the leaf's key is of a weaker type or size than
	// the baseline's (error).
	ProblemKeyWeaker = "key-weaker"
	// ProblemAddressDiffers: an address of the target serves another
	// certificate than its siblings (warn).
	ProblemAddressDiffers = "address-differs"
	// ProblemLeafRollback: the leaf was issued before the baseline's leaf:
	// an old certificate is back (error).
	ProblemLeafRollback = "leaf-rollback"
	// ProblemAddressAdded: the target answers at an address the baseline
	// did not have (warn).
	ProblemAddressAdded = "address-added"
	// ProblemAddressRemoved: an address of the baseline no longer answers
	// for the target (warn).
	ProblemAddressRemoved = "address-removed"
	// ProblemRenewed: the leaf was renewed by the same CA (info: routine).
	ProblemRenewed = "renewed"
	// ProblemTargetAdded: the target is not in the baseline (info).
	ProblemTargetAdded = "target-added"
	// ProblemTargetRemoved: a target of the baseline was not checked (warn).
	ProblemTargetRemoved = "target-removed"
)

// Problem ids of a certgate.yaml endpoint's expectations (expect:).
const (
	// ProblemExpectRootMismatch: the chain does not end at the root the
	// config pins (error, 11237: no path to the expected root).
	ProblemExpectRootMismatch = "expect-root-mismatch"
	// ProblemExpectIssuerMismatch: the leaf is not issued by the CA the
	// config pins (error, 11237).
	ProblemExpectIssuerMismatch = "expect-issuer-mismatch"
	// ProblemExpectAddresses: the target answers at another number of
	// addresses than the config expects (warn).
	ProblemExpectAddresses = "expect-addresses-mismatch"
)
