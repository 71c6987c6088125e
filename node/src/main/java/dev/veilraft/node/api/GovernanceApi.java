package dev.veilraft.node.api;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.veilraft.consensus.proto.ApplyResult;
import dev.veilraft.consensus.proto.Proposal;
import dev.veilraft.membership.Governance;
import dev.veilraft.membership.GovernanceStore;
import dev.veilraft.membership.proto.GovBallot;
import dev.veilraft.membership.proto.GovProposal;
import dev.veilraft.membership.proto.ProposalRecord;
import dev.veilraft.membership.proto.SignedGov;
import dev.veilraft.node.VeilraftNode;
import dev.veilraft.state.StateException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The governance routes. Operators sign proposals and ballots offline (or with 'veilraft gov');
 * the node only relays them into the log, where every replica checks the signature, the operator
 * set and the threshold. Bodies are JSON ({@link GovernanceJson}):
 * <ul>
 *   <li>{@code POST /v1/gov/proposals}, body {@code {"body", "signature"}} of a GovProposal:
 *       submits a gov_proposal entry, answers the MembershipResult (200 when accepted, 422 with
 *       the refusal code otherwise);
 *   <li>{@code POST /v1/gov/ballots}: the same for a GovBallot;
 *   <li>{@code GET /v1/gov/proposals}: the recorded proposals, open ones first, newest first.
 * </ul>
 */
public final class GovernanceApi {
  /** Submits an entry and completes with its applied result. */
  @FunctionalInterface
  public interface Submitter {
    CompletableFuture<ApplyResult> submit(Proposal proposal);
  }

  /** Reads the committed proposal records. */
  @FunctionalInterface
  public interface Lister {
    List<ProposalRecord> list() throws StateException;
  }

  private static final String JSON = "application/json";

  private final Submitter submitter;
  private final Lister lister;

  public GovernanceApi(VeilraftNode node) {
    this(node::submitAsync, () -> GovernanceStore.list(node.replica().store()));
  }

  /** For tests and embedding: any submit path and record source. */
  public GovernanceApi(Submitter submitter, Lister lister) {
    this.submitter = submitter;
    this.lister = lister;
  }

  public void register(ApiServer api) {
    // Successful answers are JSON; errors stay ApiError protobufs like every protocol route.
    api.routeAsync("POST", "/v1/gov/proposals", JSON, (body, query) -> submit(body, true));
    api.routeAsync("POST", "/v1/gov/ballots", JSON, (body, query) -> submit(body, false));
    api.route("GET", "/v1/gov/proposals", JSON, (body, query) -> list());
  }

  private CompletableFuture<byte[]> submit(byte[] body, boolean proposal) throws ApiException {
    SignedGov signed;
    try {
      signed = GovernanceJson.parseSigned(body);
    } catch (IllegalArgumentException e) {
      throw new ApiException(400, "MALFORMED_REQUEST", e.getMessage());
    }
    if (signed.getBody().size() > Governance.BODY_BYTES_MAX || signed.getSignature().size() > Governance.SIGNATURE_BYTES_MAX) {
      throw new ApiException(413, "MALFORMED_REQUEST", "signed body is " + signed.getBody().size() + " bytes (at most "
          + Governance.BODY_BYTES_MAX + "), signature " + signed.getSignature().size() + " bytes (at most "
          + Governance.SIGNATURE_BYTES_MAX + ")");
    }
    // Garbage is kept out of the log; everything else is decided at apply, identically on every replica.
    try {
      if (proposal) {
        GovProposal.parseFrom(signed.getBody());
      } else {
        GovBallot.parseFrom(signed.getBody());
      }
    } catch (InvalidProtocolBufferException e) {
      throw new ApiException(400, "MALFORMED_REQUEST", "body is not a " + (proposal ? "GovProposal" : "GovBallot")
          + " protobuf: " + e.getMessage());
    }
    Proposal entry = proposal ? Proposal.newBuilder().setGovProposal(signed).build()
        : Proposal.newBuilder().setGovBallot(signed).build();
    String kind = proposal ? "proposal" : "ballot";
    return submitter.submit(entry).handle((result, error) -> {
      if (error == null && result.hasMembership()) {
        dev.veilraft.node.Audit.log(dev.veilraft.node.Audit.Event.GOVERNANCE_SUBMITTED, "kind", kind, "accepted",
            result.getMembership().getAccepted(), "code", result.getMembership().getCode(), "reason",
            result.getMembership().getReason());
      }
      return answer(result, error);
    });
  }

  private static byte[] answer(ApplyResult result, Throwable error) {
    if (error != null) {
      Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
      throw new CompletionException(new ApiException(503, "COMMIT_FAILED",
          "governance entry's commit was not confirmed (it may still apply): " + cause));
    }
    if (result.hasError()) {
      throw new CompletionException(new ApiException(422, result.getError().getCode(), result.getError().getMessage()));
    }
    if (!result.hasMembership()) {
      throw new CompletionException(new ApiException(500, "UNEXPECTED_RESULT",
          "governance entry applied with a " + result.getResultCase() + " result"));
    }
    if (!result.getMembership().getAccepted()) {
      throw new CompletionException(new ApiException(422, result.getMembership().getCode(),
          result.getMembership().getReason()));
    }
    return GovernanceJson.result(result.getMembership());
  }

  private byte[] list() throws ApiException {
    try {
      return GovernanceJson.list(lister.list());
    } catch (StateException e) {
      throw new ApiException(503, "STATE_UNAVAILABLE", "cannot read the proposal records: " + e.getMessage());
    }
  }
}
