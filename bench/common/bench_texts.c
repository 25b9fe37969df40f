/* bench_texts.c - the citizens' messages the load benchmarks send (see bench_texts.h). */
#include "bench_texts.h"

const char *const bench_questions[] = {
	"Hoe vraag ik een rijbewijs aan?",
	"Wat kost een nieuw paspoort?",
	"Hoe lang is mijn identiteitskaart geldig?",
	"Ik ga verhuizen, hoe geef ik mijn nieuwe adres door?",
	"Wanneer wordt het grofvuil opgehaald?",
	"Hoe vraag ik een parkeervergunning aan?",
	"Waar kan ik een uittreksel uit de basisregistratie personen krijgen?",
	"Hoe meld ik een kapotte lantaarnpaal?",
	"Hoe vraag ik bijstand aan?",
	"Moet ik een vergunning hebben voor een dakkapel?",
	"Hoe betaal ik de gemeentelijke belastingen?",
	"Kan ik kwijtschelding krijgen van de afvalstoffenheffing?",
	"Hoe geef ik de geboorte van mijn kind aan?",
	"Hoe trouwen wij bij de gemeente?",
	"Waar meld ik overlast van buren?",
	"Hoe vraag ik een gehandicaptenparkeerkaart aan?",
	"Wat moet ik doen als mijn paspoort gestolen is?",
	"Hoe krijg ik een Verklaring Omtrent het Gedrag?",
	"Wanneer is het gemeentehuis open?",
	"Hoe vraag ik hulp uit de Wmo aan?",
	"hallo",
	"dank je wel",
	"wie ben jij",
	"doei",
};

const size_t bench_n_questions = sizeof(bench_questions) / sizeof(bench_questions[0]);
