#include "model/event.h"

namespace rmaplab::model {

std::string_view to_string(CallSite site) {
  switch (site) {
    case CallSite::anon_vma_prepare:
      return "__anon_vma_prepare";
    case CallSite::anon_vma_clone:
      return "anon_vma_clone";
    case CallSite::anon_vma_fork:
      return "anon_vma_fork";
    case CallSite::unlink_anon_vmas:
      return "unlink_anon_vmas";
    case CallSite::put_anon_vma:
      return "__put_anon_vma";
  }
  return "?";
}

std::string_view to_string(ObjectKind kind) {
  return kind == ObjectKind::anon_vma ? "anon_vma" : "avc";
}

}  // namespace rmaplab::model
