/* A framework's struct that drivers extend (net80211's ieee80211_node). */
#ifndef _SYS_NODE_H_
#define _SYS_NODE_H_
struct node {
	int	ni_n;
};
#endif
