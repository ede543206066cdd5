/**
 * Constants of the Mach VM interface, with the values of `osfmk/mach/*.h` at xnu-123.5
 * (reference §1.1). Names are the Mach names so readers can cross-reference the original.
 */

/** Mach result codes (`kern_return_t`, reference §7). Results carry the name, not the number. */
export const KERN = {
  KERN_SUCCESS: 0,
  KERN_INVALID_ADDRESS: 1,
  KERN_PROTECTION_FAILURE: 2,
  KERN_NO_SPACE: 3,
  KERN_INVALID_ARGUMENT: 4,
  KERN_FAILURE: 5,
  KERN_RESOURCE_SHORTAGE: 6,
  KERN_MEMORY_ERROR: 10,
  KERN_ABORTED: 14,
  KERN_INVALID_TASK: 16,
  KERN_INVALID_RIGHT: 17,
  KERN_INVALID_HOST: 22,
  KERN_MEMORY_RESTART_COPY: 25,
  KERN_INVALID_OBJECT: 29,
} as const;
export type KernReturn = keyof typeof KERN;
export const KERN_NAMES = Object.keys(KERN) as readonly KernReturn[];

/** `vm_prot_t` bits. */
export const VM_PROT_NONE = 0;
export const VM_PROT_READ = 1;
export const VM_PROT_WRITE = 2;
export const VM_PROT_EXECUTE = 4;
export const VM_PROT_DEFAULT = VM_PROT_READ | VM_PROT_WRITE;
export const VM_PROT_ALL = VM_PROT_READ | VM_PROT_WRITE | VM_PROT_EXECUTE;
/** Only meaningful as an input of `vm_map_protect`: ask for a private copy. */
export const VM_PROT_COPY = 0x10;

/** `vm_inherit_t`. DONATE_COPY (3) exists but `vm_inherit` rejects everything above NONE. */
export const VM_INHERIT_SHARE = 0;
export const VM_INHERIT_COPY = 1;
export const VM_INHERIT_NONE = 2;
export const VM_INHERIT_DEFAULT = VM_INHERIT_COPY;
export const VM_INHERIT_LAST_VALID = VM_INHERIT_NONE;

/** `vm_behavior_t`: paging hints (a 2-bit field of the entry). */
export const VM_BEHAVIOR_DEFAULT = 0;
export const VM_BEHAVIOR_RANDOM = 1;
export const VM_BEHAVIOR_SEQUENTIAL = 2;
export const VM_BEHAVIOR_RSEQNTL = 3;

/** `vm_map_remove` flags (vm_map.h:971-974). */
export const VM_MAP_REMOVE_KUNWIRE = 1;
export const VM_MAP_REMOVE_INTERRUPTIBLE = 2;
export const VM_MAP_REMOVE_WAIT_FOR_KWIRE = 4;
export const VM_MAP_REMOVE_ALL_FLAGS =
  VM_MAP_REMOVE_KUNWIRE | VM_MAP_REMOVE_INTERRUPTIBLE | VM_MAP_REMOVE_WAIT_FOR_KWIRE;

/**
 * Options of `vm_map_copyin_page_list` (vm_map.h:344-348): the low three bits are the access
 * every source page must grant; the others are flags.
 */
export const VM_MAP_COPYIN_OPT_VM_PROT = 0x7;
export const VM_MAP_COPYIN_OPT_SRC_DESTROY = 0x8;
export const VM_MAP_COPYIN_OPT_STEAL_PAGES = 0x10;
export const VM_MAP_COPYIN_OPT_PMAP_ENTER = 0x20;
export const VM_MAP_COPYIN_OPT_NO_ZERO_FILL = 0x40;
export const VM_MAP_COPYIN_OPT_ALL = 0x7f;

/** `vm_machine_attribute_t` and its values (`osfmk/mach/vm_attributes.h`). */
export const MATTR_CACHE = 1;
export const MATTR_MIGRATE = 2;
export const MATTR_REPLICATE = 4;
export const MATTR_ATTRIBUTES = [MATTR_CACHE, MATTR_MIGRATE, MATTR_REPLICATE] as const;
export const MATTR_VAL_OFF = 0;
export const MATTR_VAL_ON = 1;
export const MATTR_VAL_GET = 2;
export const MATTR_VAL_CACHE_FLUSH = 6;
export const MATTR_VAL_DCACHE_FLUSH = 7;
export const MATTR_VAL_ICACHE_FLUSH = 8;
export const MATTR_VAL_CACHE_SYNC = 9;
export const MATTR_VAL_GET_INFO = 10;
export const MATTR_VALUES = [
  MATTR_VAL_OFF, MATTR_VAL_ON, MATTR_VAL_GET, MATTR_VAL_CACHE_FLUSH, MATTR_VAL_DCACHE_FLUSH,
  MATTR_VAL_ICACHE_FLUSH, MATTR_VAL_CACHE_SYNC, MATTR_VAL_GET_INFO,
] as const;

/** Alias (user tag) is the top byte of the flags word: 0..255. */
export const VM_ALIAS_MAX = 255;

/** `shared_region_mapping.flags` (vm_map.h, reference §1.7): loading into the region failed for space. */
export const SHARED_REGION_FULL = 2;
