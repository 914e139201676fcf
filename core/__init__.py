"""jxc core: the books of an inventory, purchasing and sales business, knowing nothing of chat."""
