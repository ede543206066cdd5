export { EntryStore as BTreeEntryStore } from "./entry-store.ts";
