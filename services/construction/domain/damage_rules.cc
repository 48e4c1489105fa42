#include "services/construction/domain/damage_rules.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/common/rpc_util.h"
#include "services/common/status_util.h"
#include "services/construction/domain/project_helpers.h"

namespace gridserve::construction {
namespace {

absl::StatusOr<v1::Damage*> Find(v1::Project& project, const std::string& damage_id) {
  v1::Damage* damage = FindDamage(project, damage_id);
  if (damage == nullptr) return absl::NotFoundError(absl::StrCat("damage ", damage_id, " not found in this project"));
  return damage;
}

std::string DamageStateName(v1::DamageState state) {
  switch (state) {
    case v1::DAMAGE_STATE_OPEN: return "open";
    case v1::DAMAGE_STATE_REMEDIED: return "remedied and awaiting the customer's answer";
    case v1::DAMAGE_STATE_CONFIRMED: return "confirmed by the customer";
    default: return "unknown";
  }
}

// The latest event on a damage: discovery, or the last remedy / answer.
absl::Time LastDamageEvent(const v1::Damage& damage) {
  absl::Time last = FromProto(damage.discovered_at());
  for (const auto& r : damage.remedies()) {
    last = std::max(last, FromProto(r.remedied_at()));
    if (r.has_answered_at()) last = std::max(last, FromProto(r.answered_at()));
  }
  return last;
}

}  // namespace

absl::StatusOr<Effects> RecordDamage(const Rules&, v1::Project& project, v1::Damage damage) {
  // A damage found after completion or withdrawal is still recorded and
  // remedied (CN-6 outlives the works; see damage_rules.h).
  if (auto s = NotBefore(FromProto(damage.discovered_at()), AppliedAt(project), "discovered_at", "the application");
      !s.ok()) {
    return s;
  }
  damage.set_state(v1::DAMAGE_STATE_OPEN);
  *project.add_damages() = std::move(damage);
  return Effects{};
}

absl::StatusOr<Effects> RecordDamageRemedy(const Rules&, v1::Project& project, const std::string& damage_id,
                                           v1::DamageRemedy remedy) {
  auto damage = Find(project, damage_id);
  if (!damage.ok()) return damage.status();
  v1::Damage& d = **damage;
  if (d.state() != v1::DAMAGE_STATE_OPEN) {
    return PreconditionFailed("CN-6", EntitySubject(project, "damage", damage_id),
                              absl::StrCat("the damage is ", DamageStateName(d.state()), ", not open"));
  }
  if (remedy.kind() == v1::REMEDY_KIND_COMPENSATED && remedy.compensation_fen() <= 0) {
    return InvalidField("compensation_fen", "CN-6: an equivalent compensation needs the amount paid (fen > 0)");
  }
  if (auto s = NotBefore(FromProto(remedy.remedied_at()), LastDamageEvent(d), "remedied_at",
                         "the damage's previous event");
      !s.ok()) {
    return s;
  }
  remedy.clear_customer_satisfied();
  remedy.clear_customer_comment();
  remedy.clear_answered_at();
  *d.add_remedies() = std::move(remedy);
  d.set_state(v1::DAMAGE_STATE_REMEDIED);
  return Effects{};
}

absl::StatusOr<Effects> ConfirmDamageRemedy(const Rules&, v1::Project& project, const std::string& damage_id,
                                            bool customer_satisfied, const std::string& comment,
                                            absl::Time answered_at) {
  auto damage = Find(project, damage_id);
  if (!damage.ok()) return damage.status();
  v1::Damage& d = **damage;
  if (d.state() != v1::DAMAGE_STATE_REMEDIED) {
    return PreconditionFailed("CN-6", EntitySubject(project, "damage", damage_id),
                              absl::StrCat("the damage is ", DamageStateName(d.state()), "; no remedy awaits an answer"));
  }
  if (auto s = NotBefore(answered_at, LastDamageEvent(d), "confirmed_at", "the remedy"); !s.ok()) return s;
  v1::DamageRemedy& remedy = *d.mutable_remedies(d.remedies_size() - 1);
  remedy.set_customer_satisfied(customer_satisfied);
  remedy.set_customer_comment(comment);
  *remedy.mutable_answered_at() = ToProto(answered_at);
  // Only the customer's full satisfaction closes the damage; otherwise a
  // further remedy is owed.
  if (customer_satisfied) {
    d.set_state(v1::DAMAGE_STATE_CONFIRMED);
    *d.mutable_confirmed_at() = ToProto(answered_at);
  } else {
    d.set_state(v1::DAMAGE_STATE_OPEN);
  }
  return Effects{};
}

}  // namespace gridserve::construction
