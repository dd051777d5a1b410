/* Compiler attributes, spelled once for every folder that may include
 * consensus/ (util/ and ml/, which use libc and OpenBLAS only, spell the
 * attribute out).
 *
 * WARN_UNUSED goes after the declaration of every function whose result
 * reports failure (bool false, a negative int, NULL), so that a caller that
 * drops it fails the build under -Werror.  GCC does not take a (void) cast
 * as a use: a deliberate ignore is written `if (!f(...)) { comment why }`.
 * A query whose false is an ordinary answer (a predicate, "not synced yet")
 * does not carry it, nor a function that handles its own failure (peer_send
 * marks the peer for disconnection).  Nothing else lives here.
 */
#ifndef FML_CONSENSUS_ATTR_H
#define FML_CONSENSUS_ATTR_H

#define WARN_UNUSED __attribute__((warn_unused_result))

#endif
