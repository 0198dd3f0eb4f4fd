const be="PERSISTED_QUERY_NOT_FOUND";let Ae=!1;function ze(e){const t=e.__meta__?.hash;return typeof t=="string"?t.replace(/^sha256:/,""):void 0}function ce(e){const t=ze(e);return Ae||!t?{query:e.toString()}:{extensions:{persistedQuery:{version:1,sha256Hash:t}}}}function me(e){return e.query===void 0&&e.extensions!==void 0}function ve(){Ae=!0}class Z extends Error{constructor(t,n,s=[]){super(t),this.code=n,this.errors=s,this.name="ApiError"}code;errors}function xe(e,t="UNKNOWN"){return e?.find(n=>typeof n.extensions?.code=="string")?.extensions?.code??t}function Se(e){return e.map(t=>{const n=t.extensions?.code?`${t.extensions.code}: `:"",s=t.extensions?.field?` (${t.extensions.field})`:"";return n+t.message+s}).join("; ")}const de=new URL("/query",location.href).toString(),Ve=de.replace(/^http/,"ws");async function oe(e,t,...[n]){const s=ce(t);try{return await Ce(e,{...s,variables:n??{}})}catch(r){if(!(r instanceof Z&&r.code===be&&me(s)))throw r;return ve(),Ce(e,{...ce(t),variables:n??{}})}}async function Ce(e,t){let n;try{n=await fetch(de,{method:"POST",headers:{"Content-Type":"application/json",Accept:"application/graphql-response+json, application/json",Authorization:`Bearer ${e}`},body:JSON.stringify(t)})}catch(r){throw new Z(`network error: ${String(r)}`,"NETWORK")}let s;try{s=await n.json()}catch{throw new Z(`HTTP ${n.status}: not a GraphQL response`,"HTTP_"+n.status)}if(s.errors?.length)throw new Z(Se(s.errors),xe(s.errors),s.errors);if(!s.data)throw new Z(`HTTP ${n.status}: no data`,"HTTP_"+n.status);return s.data}function l(e){const t=document.getElementById(e);if(!t)throw new Error(`#${e} missing`);return t}function V(e,t={},...n){const s=document.createElement(e);for(const[r,u]of Object.entries(t))s.setAttribute(r,u);return s.append(...n),s}function fe(e){return e instanceof Error?e.message:String(e)}class Q extends String{__apiType;value;__meta__;constructor(t,n){super(t),this.value=t,this.__meta__=n}toString(){return this.value}}const Ge=new Q(`
    query Viewer {
  viewer {
    id
    role
  }
}
    `,{hash:"sha256:68d5b36c8ef583822a01fd59df3837c6b8f3a7b4afb8769d5a7b21844af2323e"}),Je=new Q(`
    mutation CreatePulse($input: CreatePulseInput!) {
  createPulse(input: $input) {
    pulse {
      id
      title
      createdAt
    }
    event {
      id
      cursor
    }
  }
}
    `,{hash:"sha256:1298fcaf67ba1f230994149601ee2814ec56eb684fd3f3eadcdc66fadb2ff3c6"}),Qe=new Q(`
    mutation RespondToPulse($input: RespondToPulseInput!) {
  respondToPulse(input: $input) {
    response {
      id
      answer
      confidence
      createdAt
    }
  }
}
    `,{hash:"sha256:e0f5a9d5743fed60b74210f8765a00a14c910a7b332d389620f7b89fa89528b9"}),Ke=new Q(`
    mutation ClosePulse($input: ClosePulseInput!) {
  closePulse(input: $input) {
    pulse {
      id
      closedAt
    }
  }
}
    `,{hash:"sha256:1d9164799befc386ffde90e2e5dfed0043e7d5b668f7874df0f24bfcf802fd77"}),Ye=new Q(`
    query Pulse($id: UUID!) {
  pulse(id: $id) {
    id
    title
    closedAt
    responseCount
    events(first: 1) {
      edges {
        cursor
      }
    }
  }
}
    `,{hash:"sha256:ceb3fbc5c09d905fad6bde12a43d113b21d5b8b39cf5d12dbe750e673854bed5"}),De=new Q(`
    subscription PulseEvents($pulseId: UUID!, $after: String) {
  pulseEvents(pulseId: $pulseId, after: $after) {
    id
    cursor
    version
    type
    occurredAt
    payload {
      __typename
      ... on LearningPulseResponded {
        studentId
        responseId
        response {
          id
          answer
          confidence
          createdAt
        }
      }
    }
  }
}
    `,{hash:"sha256:3b0db3b07fa79a7366b9c381ebeb6c3e7dad7c3366f27823719e658e67495217"}),Xe=new Q(`
    subscription PulseDashboard($id: UUID!) {
  pulseState(id: $id) {
    id
    title
    closedAt
    responseCount
    confidenceCounts
  }
}
    `,{hash:"sha256:59928a58e5784b0d4c1ec0a0be727f64cf0239ddf0534c684d5cc58a5869a7bc"}),Ze=new Q(`
    subscription StudentPulse($id: UUID!) {
  pulseState(id: $id) {
    id
    title
    closedAt
    responseCount
    responses(first: 1) {
      edges {
        node {
          id
          answer
          confidence
          createdAt
        }
      }
    }
  }
}
    `,{hash:"sha256:f8d3bd6a9b3b2f7116ffc97bf4948652f30fc146497beac03ec3fe28851e5b96"}),et={"\n  query Viewer {\n    viewer {\n      id\n      role\n    }\n  }\n":Ge,"\n  mutation CreatePulse($input: CreatePulseInput!) {\n    createPulse(input: $input) {\n      pulse {\n        id\n        title\n        createdAt\n      }\n      event {\n        id\n        cursor\n      }\n    }\n  }\n":Je,"\n  mutation RespondToPulse($input: RespondToPulseInput!) {\n    respondToPulse(input: $input) {\n      response {\n        id\n        answer\n        confidence\n        createdAt\n      }\n    }\n  }\n":Qe,"\n  mutation ClosePulse($input: ClosePulseInput!) {\n    closePulse(input: $input) {\n      pulse {\n        id\n        closedAt\n      }\n    }\n  }\n":Ke,"\n  query Pulse($id: UUID!) {\n    pulse(id: $id) {\n      id\n      title\n      closedAt\n      responseCount\n      events(first: 1) {\n        edges {\n          cursor\n        }\n      }\n    }\n  }\n":Ye,"\n  subscription PulseEvents($pulseId: UUID!, $after: String) {\n    pulseEvents(pulseId: $pulseId, after: $after) {\n      id\n      cursor\n      version\n      type\n      occurredAt\n      payload {\n        __typename\n        ... on LearningPulseResponded {\n          studentId\n          responseId\n          response {\n            id\n            answer\n            confidence\n            createdAt\n          }\n        }\n      }\n    }\n  }\n":De,"\n  subscription PulseDashboard($id: UUID!) {\n    pulseState(id: $id) {\n      id\n      title\n      closedAt\n      responseCount\n      confidenceCounts\n    }\n  }\n":Xe,"\n  subscription StudentPulse($id: UUID!) {\n    pulseState(id: $id) {\n      id\n      title\n      closedAt\n      responseCount\n      responses(first: 1) {\n        edges {\n          node {\n            id\n            answer\n            confidence\n            createdAt\n          }\n        }\n      }\n    }\n  }\n":Ze};function K(e){return et[e]??{}}const tt=K(`
  query Viewer {
    viewer {
      id
      role
    }
  }
`),nt=K(`
  mutation CreatePulse($input: CreatePulseInput!) {
    createPulse(input: $input) {
      pulse {
        id
        title
        createdAt
      }
      event {
        id
        cursor
      }
    }
  }
`),st=K(`
  mutation RespondToPulse($input: RespondToPulseInput!) {
    respondToPulse(input: $input) {
      response {
        id
        answer
        confidence
        createdAt
      }
    }
  }
`),rt=K(`
  mutation ClosePulse($input: ClosePulseInput!) {
    closePulse(input: $input) {
      pulse {
        id
        closedAt
      }
    }
  }
`),ot=K(`
  query Pulse($id: UUID!) {
    pulse(id: $id) {
      id
      title
      closedAt
      responseCount
      events(first: 1) {
        edges {
          cursor
        }
      }
    }
  }
`);K(`
  subscription PulseEvents($pulseId: UUID!, $after: String) {
    pulseEvents(pulseId: $pulseId, after: $after) {
      id
      cursor
      version
      type
      occurredAt
      payload {
        __typename
        ... on LearningPulseResponded {
          studentId
          responseId
          response {
            id
            answer
            confidence
            createdAt
          }
        }
      }
    }
  }
`);const it=K(`
  subscription PulseDashboard($id: UUID!) {
    pulseState(id: $id) {
      id
      title
      closedAt
      responseCount
      confidenceCounts
    }
  }
`),at=K(`
  subscription StudentPulse($id: UUID!) {
    pulseState(id: $id) {
      id
      title
      closedAt
      responseCount
      responses(first: 1) {
        edges {
          node {
            id
            answer
            confidence
            createdAt
          }
        }
      }
    }
  }
`);function O(e){return e===null?"null":Array.isArray(e)?"array":typeof e}function Y(e){return O(e)==="object"}function ct(e){return Array.isArray(e)&&e.length>0&&e.every(t=>"message"in t)}function Pe(e,t){return e.length<124?e:t}const lt="graphql-transport-ws";var W=(e=>(e[e.InternalServerError=4500]="InternalServerError",e[e.InternalClientError=4005]="InternalClientError",e[e.BadRequest=4400]="BadRequest",e[e.BadResponse=4004]="BadResponse",e[e.Unauthorized=4401]="Unauthorized",e[e.Forbidden=4403]="Forbidden",e[e.SubprotocolNotAcceptable=4406]="SubprotocolNotAcceptable",e[e.ConnectionInitialisationTimeout=4408]="ConnectionInitialisationTimeout",e[e.ConnectionAcknowledgementTimeout=4504]="ConnectionAcknowledgementTimeout",e[e.SubscriberAlreadyExists=4409]="SubscriberAlreadyExists",e[e.TooManyInitialisationRequests=4429]="TooManyInitialisationRequests",e))(W||{}),B=(e=>(e.ConnectionInit="connection_init",e.ConnectionAck="connection_ack",e.Ping="ping",e.Pong="pong",e.Subscribe="subscribe",e.Next="next",e.Error="error",e.Complete="complete",e))(B||{});function _e(e){if(!Y(e))throw new Error(`Message is expected to be an object, but got ${O(e)}`);if(!e.type)throw new Error("Message is missing the 'type' property");if(typeof e.type!="string")throw new Error(`Message is expects the 'type' property to be a string, but got ${O(e.type)}`);switch(e.type){case"connection_init":case"connection_ack":case"ping":case"pong":{if(e.payload!=null&&!Y(e.payload))throw new Error(`"${e.type}" message expects the 'payload' property to be an object or nullish or missing, but got "${e.payload}"`);break}case"subscribe":{if(typeof e.id!="string")throw new Error(`"${e.type}" message expects the 'id' property to be a string, but got ${O(e.id)}`);if(!e.id)throw new Error(`"${e.type}" message requires a non-empty 'id' property`);if(!Y(e.payload))throw new Error(`"${e.type}" message expects the 'payload' property to be an object, but got ${O(e.payload)}`);if(typeof e.payload.query!="string")throw new Error(`"${e.type}" message payload expects the 'query' property to be a string, but got ${O(e.payload.query)}`);if(e.payload.variables!=null&&!Y(e.payload.variables))throw new Error(`"${e.type}" message payload expects the 'variables' property to be a an object or nullish or missing, but got ${O(e.payload.variables)}`);if(e.payload.operationName!=null&&O(e.payload.operationName)!=="string")throw new Error(`"${e.type}" message payload expects the 'operationName' property to be a string or nullish or missing, but got ${O(e.payload.operationName)}`);if(e.payload.extensions!=null&&!Y(e.payload.extensions))throw new Error(`"${e.type}" message payload expects the 'extensions' property to be a an object or nullish or missing, but got ${O(e.payload.extensions)}`);break}case"next":{if(typeof e.id!="string")throw new Error(`"${e.type}" message expects the 'id' property to be a string, but got ${O(e.id)}`);if(!e.id)throw new Error(`"${e.type}" message requires a non-empty 'id' property`);if(!Y(e.payload))throw new Error(`"${e.type}" message expects the 'payload' property to be an object, but got ${O(e.payload)}`);break}case"error":{if(typeof e.id!="string")throw new Error(`"${e.type}" message expects the 'id' property to be a string, but got ${O(e.id)}`);if(!e.id)throw new Error(`"${e.type}" message requires a non-empty 'id' property`);if(!ct(e.payload))throw new Error(`"${e.type}" message expects the 'payload' property to be an array of GraphQL errors, but got ${JSON.stringify(e.payload)}`);break}case"complete":{if(typeof e.id!="string")throw new Error(`"${e.type}" message expects the 'id' property to be a string, but got ${O(e.id)}`);if(!e.id)throw new Error(`"${e.type}" message requires a non-empty 'id' property`);break}default:throw new Error(`Invalid message 'type' property "${e.type}"`)}return e}function ut(e,t){return _e(typeof e=="string"?JSON.parse(e,t):e)}function ne(e,t){return _e(e),JSON.stringify(e,t)}function dt(e){const{url:t,connectionParams:n,lazy:s=!0,onNonLazyError:r=console.error,lazyCloseTimeout:u=0,keepAlive:o=0,disablePong:p,connectionAckWaitTimeout:I=0,retryAttempts:N=5,retryWait:$=async function(b){const c=Math.pow(2,b);await new Promise(d=>setTimeout(d,c*1e3+Math.floor(Math.random()*2700+300)))},shouldRetry:x=he,on:a,webSocketImpl:C,generateID:M=function(){return"xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g,b=>{const c=Math.random()*16|0;return(b=="x"?c:c&3|8).toString(16)})},jsonMessageReplacer:E,jsonMessageReviver:P}=e;let S;if(C){if(!ft(C))throw new Error("Invalid WebSocket implementation provided");S=C}else typeof WebSocket<"u"?S=WebSocket:typeof global<"u"?S=global.WebSocket||global.MozWebSocket:typeof window<"u"&&(S=window.WebSocket||window.MozWebSocket);if(!S)throw new Error("WebSocket implementation missing; on Node you can `import WebSocket from 'ws';` and pass `webSocketImpl: WebSocket` to `createClient`");const A=S,f=(()=>{const i=(()=>{const c={};return{on(d,y){return c[d]=y,()=>{delete c[d]}},emit(d){"id"in d&&c[d.id]?.(d)}}})(),b={connecting:a?.connecting?[a.connecting]:[],opened:a?.opened?[a.opened]:[],connected:a?.connected?[a.connected]:[],ping:a?.ping?[a.ping]:[],pong:a?.pong?[a.pong]:[],message:a?.message?[i.emit,a.message]:[i.emit],closed:a?.closed?[a.closed]:[],error:a?.error?[a.error]:[]};return{onMessage:i.on,on(c,d){const y=b[c];return y.push(d),()=>{const v=y.indexOf(d);v>-1&&y.splice(v,1)}},emit(c,...d){for(const y of[...b[c]])y(...d)}}})();function R(i){const b=[f.on("error",c=>{b.forEach(d=>d()),i(c)}),f.on("closed",c=>{b.forEach(d=>d()),i(c)})];return()=>b.forEach(c=>c())}let j,z=0,m,T=!1,h=0,g=!1;async function q(){clearTimeout(m);const[i,b]=await(j??(j=new Promise((y,v)=>(async()=>{if(T){if(await $(h),!z)return j=void 0,v({code:1e3,reason:"All Subscriptions Gone"});h++}f.emit("connecting",T);const w=new A(typeof t=="function"?await t():t,lt);let U,G;function ee(){isFinite(o)&&o>0&&(clearTimeout(G),G=setTimeout(()=>{w.readyState===A.OPEN&&(w.send(ne({type:B.Ping})),f.emit("ping",!1,void 0))},o))}R(_=>{j=void 0,clearTimeout(U),clearTimeout(G),v(_),_ instanceof Ie&&(w.close(4499,"Terminated"),w.onerror=null,w.onclose=null)}),w.onerror=_=>f.emit("error",_),w.onclose=_=>f.emit("closed",_),w.onopen=async()=>{try{f.emit("opened",w);const _=typeof n=="function"?await n():n;if(w.readyState!==A.OPEN)return;w.send(ne(_?{type:B.ConnectionInit,payload:_}:{type:B.ConnectionInit},E)),isFinite(I)&&I>0&&(U=setTimeout(()=>{w.close(W.ConnectionAcknowledgementTimeout,"Connection acknowledgement timeout")},I)),ee()}catch(_){f.emit("error",_),w.close(W.InternalClientError,Pe(_ instanceof Error?_.message:String(_),"Internal client error"))}};let J=!1;w.onmessage=({data:_})=>{try{const L=ut(_,P);if(f.emit("message",L),L.type==="ping"||L.type==="pong"){f.emit(L.type,!0,L.payload),L.type==="pong"?ee():p||(w.send(ne(L.payload?{type:B.Pong,payload:L.payload}:{type:B.Pong},E)),f.emit("pong",!1,L.payload));return}if(J)return;if(L.type!==B.ConnectionAck)throw new Error(`First message cannot be of type ${L.type}`);clearTimeout(U),J=!0,f.emit("connected",w,L.payload,T),T=!1,h=0;const te=new Promise((qt,He)=>R(He));te.catch(()=>{}),y([w,te])}catch(L){w.onmessage=null,f.emit("error",L),w.close(W.BadResponse,Pe(L instanceof Error?L.message:String(L),"Bad response"))}}})())));i.readyState===A.CLOSING&&await b;let c=()=>{};const d=new Promise(y=>c=y);return[i,c,new Promise((y,v)=>{const w=R(v);i.readyState!==A.OPEN&&b.catch(v),d.then(()=>{if(w(),!z){const U=()=>i.close(1e3,"Normal Closure");isFinite(u)&&u>0?(clearTimeout(m),m=setTimeout(()=>{!z&&i.readyState===A.OPEN&&U()},u)):U()}y()})})]}function k(i){if(he(i)&&(pt(i.code)||[W.InternalServerError,W.InternalClientError,W.BadRequest,W.BadResponse,W.Unauthorized,W.SubprotocolNotAcceptable,W.SubscriberAlreadyExists,W.TooManyInitialisationRequests].includes(i.code)))throw i;if(g)return!1;if(he(i)&&i.code===1e3)return z>0;if(!N||h>=N||!x(i))throw i;return T=!0}s||(async()=>{for(z++;;)try{const[,,i]=await q();await i}catch(i){try{if(!k(i))return}catch(b){return r?.(b)}}})();function D(i,b){const c=M(i);let d=!1,y=!1,v=()=>{z--,d=!0};return(async()=>{for(z++;;)try{const[w,U,G]=await q();if(d)return G.catch(()=>{}),U();const ee=f.onMessage(c,J=>{switch(J.type){case B.Next:{b.next(J.payload);return}case B.Error:{y=!0,d=!0,b.error(J.payload),v();return}case B.Complete:{d=!0,v();return}}});w.send(ne({id:c,type:B.Subscribe,payload:i},E)),v=()=>{!d&&w.readyState===A.OPEN&&w.send(ne({id:c,type:B.Complete},E)),z--,d=!0,U()},await G.finally(ee);return}catch(w){if(!k(w))return}})().then(()=>{y||b.complete()}).catch(w=>{b.error(w)}),()=>{d||v()}}return{on:f.on,subscribe:D,iterate(i){const b=[],c={done:!1,error:null,resolve:()=>{}},d=D(i,{next(v){b.push(v),c.resolve()},error(v){c.done=!0,c.error=v,c.resolve()},complete(){c.done=!0,c.resolve()}}),y=(async function*(){for(;;){for(b.length||await new Promise(w=>c.resolve=w);b.length;)yield b.shift();if(c.error)throw c.error;if(c.done)return}})();return y.throw=async v=>(c.done||(c.done=!0,c.error=v,c.resolve()),{done:!0,value:void 0}),y.return=async()=>(d(),{done:!0,value:void 0}),y},async dispose(){if(g=!0,j){const[i]=await j;i.close(1e3,"Normal Closure")}},terminate(){j&&f.emit("closed",new Ie)}}}class Ie extends Error{name="TerminatedCloseEvent";message="4499: Terminated";code=4499;reason="Terminated";wasClean=!1}function he(e){return Y(e)&&"code"in e&&"reason"in e}function pt(e){return[1e3,1001,1006,1005,1012,1013,1014].includes(e)?!1:e>=1e3&&e<=1999}function ft(e){return typeof e=="function"&&"constructor"in e&&"CLOSED"in e&&"CLOSING"in e&&"CONNECTING"in e&&"OPEN"in e}const we=4403,ht=4408;function se(e){return typeof e=="object"&&e!==null&&"code"in e&&typeof e.code=="number"}const wt=e=>new Promise(t=>setTimeout(t,e));function yt(e,t){let n=0,s,r;const u=dt({url:Ve,connectionParams:()=>({Authorization:`Bearer ${e()}`}),lazy:!0,lazyCloseTimeout:3e3,retryAttempts:1/0,shouldRetry:o=>!(se(o)&&o.code===we),retryWait:async o=>{await wt(Re(o))},keepAlive:1e4,on:{connecting:o=>t.onState(o?"reconnecting":"connecting"),connected:(o,p,I)=>{I&&n++,t.onState("live")},ping:o=>{o||(clearTimeout(s),s=setTimeout(()=>{r?.readyState===WebSocket.OPEN&&r.close(ht,"pong timeout")},5e3))},pong:o=>{o&&clearTimeout(s)},opened:o=>{r=o},closed:o=>{if(clearTimeout(s),r=void 0,se(o)&&o.code===we)t.onState("rejected","the server refused the token (4403): get a new one");else if(se(o)&&o.code===1e3)t.onState("idle");else{const p=se(o)?` (${o.code})`:"";t.onState("reconnecting",`connection lost${p}`)}}}});return{transport:"websocket",subscriber:u,get reconnects(){return n},dispose:()=>{u.dispose()}}}class Ee extends Error{constructor(t,n){super(t),this.code=n,this.name="LiveError"}code}const Re=e=>Math.min(300*2**e,3e3)+Math.random()*300;function Ue(e,t){if(se(e)){const n=e.code===we?"FORBIDDEN":`CLOSE_${e.code}`;t(`connection closed (${e.code}${e.reason?": "+e.reason:""})`,n)}else e instanceof Ee?t(e.message,e.code):t(String(e),"UNKNOWN")}class Te{constructor(t,n,s,r){this.client=t,this.pulseId=n,this.handlers=r,this.cursor=s}client;pulseId;handlers;seen=new Set;static SEEN_MAX=1e3;cursor;variables;byHash=!1;unsubscribe;stopped=!1;repeatsDropped=0;slowConsumerRestarts=0;get lastCursor(){return this.cursor}start(){this.stopped=!1;const t={pulseId:this.pulseId,after:this.cursor};this.variables=t;const n=ce(De);this.byHash=me(n),this.unsubscribe=this.client.subscribe({query:n.query??"",extensions:n.extensions,variables:t},{next:s=>{if(s.errors?.length){this.fail(s.errors);return}s.data&&this.accept(s.data.pulseEvents)},error:s=>{Array.isArray(s)?this.fail(s):Ue(s,this.handlers.onError)},complete:()=>{}})}stop(){this.stopped=!0,this.unsubscribe?.(),this.unsubscribe=void 0}accept(t){if(this.seen.has(t.id)){this.repeatsDropped++;return}this.seen.add(t.id),this.seen.size>Te.SEEN_MAX&&this.seen.delete(this.seen.values().next().value),this.cursor=t.cursor,this.variables&&(this.variables.after=t.cursor),this.handlers.onEvent(t)}fail(t){const n=xe(t);if(n===be&&this.byHash&&!this.stopped){ve(),this.unsubscribe=void 0,this.start();return}if(n==="SLOW_CONSUMER"&&!this.stopped){const s=t.find(r=>r.extensions?.code==="SLOW_CONSUMER")?.extensions?.lastCursor;typeof s=="string"&&s!==""&&(this.cursor=s),this.slowConsumerRestarts++,this.unsubscribe=void 0,this.start();return}this.handlers.onError(Se(t),n)}}class Le{constructor(t,n,s,r){this.client=t,this.document=n,this.variables=s,this.handlers=r}client;document;variables;handlers;unsubscribe;stopped=!1;byHash=!1;states=0;start(){this.stopped=!1;const t=ce(this.document);this.byHash=me(t),this.unsubscribe=this.client.subscribe({query:t.query??"",extensions:t.extensions,variables:{...this.variables}},{next:n=>{n.errors?.length?this.fail(n.errors):n.data&&(this.states++,this.handlers.onState(n.data))},error:n=>{Array.isArray(n)?this.fail(n):Ue(n,this.handlers.onError)},complete:()=>{}})}stop(){this.stopped=!0,this.unsubscribe?.(),this.unsubscribe=void 0}fail(t){const n=xe(t);if(n===be&&this.byHash&&!this.stopped){ve(),this.unsubscribe=void 0,this.start();return}this.handlers.onError(Se(t),n)}}function gt(e,t){const n=new URL(de);return e.query&&n.searchParams.set("query",e.query),e.variables&&n.searchParams.set("variables",JSON.stringify(e.variables)),e.extensions&&n.searchParams.set("extensions",JSON.stringify(e.extensions)),n.searchParams.set("access_token",t),n.toString()}function bt(e,t){let n=0;const s=new Set;function r(u,o){const p=new EventSource(gt(u,e()));s.add(p);let I=0;const N=()=>{p.close(),s.delete(p)};return t.onState("connecting"),p.onopen=()=>{I++>0&&n++,t.onState("live")},p.addEventListener("next",$=>{let x;try{x=JSON.parse($.data)}catch{return}o.next(x)}),p.addEventListener("complete",()=>{N(),o.complete()}),p.onerror=()=>{p.readyState===EventSource.CLOSED?(N(),t.onState("rejected","the server refused the request (token expired or invalid?)"),o.error(new Ee("the server refused the event stream: the token may have expired","FORBIDDEN"))):t.onState("reconnecting","connection lost")},N}return{transport:"eventsource",subscriber:{subscribe:r},get reconnects(){return n},dispose:()=>{for(const u of s)u.close();s.clear(),t.onState("idle")}}}function mt(e){return typeof e=="object"&&e!==null}const vt="x-graphql-event-stream-token";function xt(e){if(e=e,e!=="next"&&e!=="complete")throw new Error(`Invalid stream event "${e}"`);return e}function St(e,t){if(t)try{t=JSON.parse(t)}catch{throw new Error("Invalid stream data")}if(e==="next"&&!t)throw new Error('Stream data must be an object for "next" events');return t||null}var X;(function(e){e[e.NewLine=10]="NewLine",e[e.CarriageReturn=13]="CarriageReturn",e[e.Space=32]="Space",e[e.Colon=58]="Colon"})(X||(X={}));function Et(){let e,t,n,s=!1,r={event:"",data:""},u=[];const o=new TextDecoder;return function(I){if(e===void 0)e=I,t=0,n=-1;else{const x=new Uint8Array(e.length+I.length);x.set(e),x.set(I,e.length),e=x}const N=e.length;let $=0;for(;t<N;){s&&(e[t]===X.NewLine&&($=++t),s=!1);let x=-1;for(;t<N&&x===-1;++t)switch(e[t]){case X.Colon:n===-1&&(n=t-$);break;case X.CarriageReturn:s=!0;case X.NewLine:x=t;break}if(x===-1)break;if($===x){if(r.event||r.data){if(!r.event)throw new Error("Missing message event");const a=xt(r.event),C=St(a,r.data);u.push({event:a,data:C}),r={event:"",data:""}}}else if(n>0){const a=e.subarray($,x),C=o.decode(a.subarray(0,n)),M=n+(a[n+1]===X.Space?2:1),E=o.decode(a.subarray(M));switch(C){case"event":r.event=E;break;case"data":r.data=r.data?r.data+`
`+E:E;break}}$=t,n=-1}if($===N){e=void 0;const x=[...u];return u=[],x}else $!==0&&(e=e.subarray($),t-=$)}}function Tt(e){const{singleConnection:t=!1,lazy:n=!0,lazyCloseTimeout:s=0,onNonLazyError:r=console.error,generateID:u=function(){return"xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g,T=>{const h=Math.random()*16|0;return(T=="x"?h:h&3|8).toString(16)})},retryAttempts:o=5,retry:p=async function(T){let h=1e3;for(let g=0;g<T;g++)h*=2;await new Promise(g=>setTimeout(g,h+Math.floor(Math.random()*2700+300)))},credentials:I="same-origin",referrer:N,referrerPolicy:$,onMessage:x,on:a}=e,C=e.fetchFn||fetch,M=e.abortControllerImpl||AbortController,E=(()=>{let m=!1;const T=[];return{get disposed(){return m},onDispose(h){return m?(setTimeout(()=>h(),0),()=>{}):(T.push(h),()=>{T.splice(T.indexOf(h),1)})},dispose(){if(!m){m=!0;for(const h of[...T])h()}}}})();let P,S,A=0,f=null,R=0;async function j(){try{if(E.disposed)throw new Error("Client has been disposed");return await(S??(S=(async()=>{var m,T,h;if(f){if(await p(R),P.signal.aborted)throw new Error("Connection aborted by the client");R++}(m=a?.connecting)===null||m===void 0||m.call(a,!!f),P=new M;const g=E.onDispose(()=>P.abort());P.signal.addEventListener("abort",()=>{g(),S=void 0});const q=e,k=typeof q.url=="function"?await q.url(void 0):q.url;if(P.signal.aborted)throw new Error("Connection aborted by the client");const D=typeof q.headers=="function"?await q.headers(void 0):(T=q.headers)!==null&&T!==void 0?T:{};if(P.signal.aborted)throw new Error("Connection aborted by the client");let i;try{i=await C(k,{signal:P.signal,method:"PUT",credentials:I,referrer:N,referrerPolicy:$,headers:D})}catch(d){throw new H(d)}if(i.status!==201)throw new H(i);const b=await i.text();D[vt]=b;const c=await ke({signal:P.signal,headers:D,credentials:I,referrer:N,referrerPolicy:$,url:k,fetchFn:C,onMessage:d=>{var y;(y=a?.message)===null||y===void 0||y.call(a,d),x?.(d)}});return(h=a?.connected)===null||h===void 0||h.call(a,!!f),c.waitForThrow().catch(()=>S=void 0),c})()))}catch(m){throw S=void 0,m}}t&&!n&&(async()=>{for(A++;;)try{const{waitForThrow:m}=await j();await m()}catch(m){if(E.disposed)return;if(!(m instanceof H)||(S=void 0,!o||R>=o))return r?.(m);f=m}})();function z(m,T,h){if(!t){const k=new M,D=E.onDispose(()=>{D(),k.abort()});return(async()=>{var i,b,c,d,y;let v=null,w=0;for(;;)try{if(v){if(await p(w),k.signal.aborted)throw new Error("Connection aborted by the client");w++}(i=a?.connecting)===null||i===void 0||i.call(a,!!v),(b=h?.connecting)===null||b===void 0||b.call(h,!!v);const U=e,G=typeof U.url=="function"?await U.url(m):U.url;if(k.signal.aborted)throw new Error("Connection aborted by the client");const ee=typeof U.headers=="function"?await U.headers(m):(c=U.headers)!==null&&c!==void 0?c:{};if(k.signal.aborted)throw new Error("Connection aborted by the client");const{getResults:J}=await ke({signal:k.signal,headers:{...ee,"content-type":"application/json; charset=utf-8"},credentials:I,referrer:N,referrerPolicy:$,url:G,body:JSON.stringify(m),fetchFn:C,onMessage:_=>{var L,te;(L=a?.message)===null||L===void 0||L.call(a,_),(te=h?.message)===null||te===void 0||te.call(h,_),x?.(_)}});(d=a?.connected)===null||d===void 0||d.call(a,!!v),(y=h?.connected)===null||y===void 0||y.call(h,!!v);for await(const _ of J())v=null,w=0,T.next(_);return k.abort()}catch(U){if(k.signal.aborted)return;if(!(U instanceof H)||!o||w>=o)throw U;v=U}})().then(()=>T.complete()).catch(i=>T.error(i)),()=>k.abort()}A++;const g=new M,q=E.onDispose(()=>{q(),g.abort()});return(async()=>{const k=u();m={...m,extensions:{...m.extensions,operationId:k}};let D=null;for(;;){D=null;try{const{url:i,headers:b,getResults:c}=await j();let d;try{d=await C(i,{signal:g.signal,method:"POST",credentials:I,referrer:N,referrerPolicy:$,headers:{...b,"content-type":"application/json; charset=utf-8"},body:JSON.stringify(m)})}catch(y){throw new H(y)}if(d.status!==202)throw new H(d);D=async()=>{let y;try{const v=new M,w=E.onDispose(()=>{w(),v.abort()});y=await C(i+"?operationId="+k,{signal:v.signal,method:"DELETE",credentials:I,referrer:N,referrerPolicy:$,headers:b})}catch(v){throw new H(v)}if(y.status!==200)throw new H(y)};for await(const y of c({signal:g.signal,operationId:k}))f=null,R=0,T.next(y);return D=null,g.abort()}catch(i){if(g.signal.aborted)return await D?.();if(!(i instanceof H)||(n&&(S=void 0),!o||R>=o))throw g.abort(),i;f=i}finally{g.signal.aborted&&--A===0&&(isFinite(s)&&s>0?setTimeout(()=>{A||P.abort()},s):P.abort())}}})().then(()=>T.complete()).catch(k=>T.error(k)),()=>g.abort()}return{subscribe:z,iterate(m,T){const h=[],g={done:!1,error:null,resolve:()=>{}},q=z(m,{next(D){h.push(D),g.resolve()},error(D){g.done=!0,g.error=D,g.resolve()},complete(){g.done=!0,g.resolve()}},T),k=(async function*(){for(;;){for(h.length||await new Promise(i=>g.resolve=i);h.length;)yield h.shift();if(g.error)throw g.error;if(g.done)return}})();return k.throw=async D=>(g.done||(g.done=!0,g.error=D,g.resolve()),{done:!0,value:void 0}),k.return=async()=>(q(),{done:!0,value:void 0}),k},dispose(){E.dispose()}}}class H extends Error{constructor(t){let n,s;$t(t)?(s=t,n="Server responded with "+t.status+": "+t.statusText):t instanceof Error?n=t.message:n=String(t),super(n),this.name=this.constructor.name,this.response=s}}function $t(e){return mt(e)&&typeof e.ok=="boolean"&&typeof e.status=="number"&&typeof e.statusText=="string"}async function ke(e){const{signal:t,url:n,credentials:s,headers:r,body:u,referrer:o,referrerPolicy:p,fetchFn:I,onMessage:N}=e,$={},x={};let a;try{a=await I(n,{signal:t,method:u?"POST":"GET",credentials:s,referrer:o,referrerPolicy:p,headers:{...r,accept:"text/event-stream"},body:u})}catch(E){throw new H(E)}if(!a.ok)throw new H(a);if(!a.body)throw new Error("Missing response body");let C=null,M;return(async()=>{var E;try{const P=Et();for await(const S of Ct(a.body)){if(typeof S=="string")throw C=new Error(`Unexpected string chunk "${S}"`);let A;try{A=P(S)}catch(f){throw C=f}if(A)for(const f of A){try{N?.(f)}catch(j){throw C=j}const R=f.data&&"id"in f.data?f.data.id:"";switch(R in x||(x[R]=[]),f.event){case"next":R?x[R].push(f.data.payload):x[R].push(f.data);break;case"complete":x[R].push("complete");break;default:throw C=new Error(`Unexpected message event "${f.event}"`)}(E=$[R])===null||E===void 0||E.proceed()}}if(Object.keys($).length)throw new Error("Connection closed while having active streams")}catch(P){!C&&Object.keys($).length?C=new H(P):C=P,M?.(C)}finally{Object.values($).forEach(({proceed:P})=>P())}})(),{url:n,headers:r,waitForThrow:()=>new Promise((E,P)=>{if(C)return P(C);M=P}),async*getResults(E){var P;const{signal:S,operationId:A=""}=E??{};try{for(;;){for(;!((P=x[A])===null||P===void 0)&&P.length;){const f=x[A].shift();if(f==="complete")return;yield f}if(C)throw C;if(S?.aborted)throw new Error("Getting results aborted by the client");await new Promise(f=>{const R=()=>{S?.removeEventListener("abort",R),delete $[A],f()};S?.addEventListener("abort",R),$[A]={proceed:R}})}}finally{delete x[A]}}}}function Ct(e){return typeof Object(e)[Symbol.asyncIterator]=="function"?(e=e,e):(async function*(){const t=e.getReader();let n;do n=await t.read(),n.value!==void 0&&(yield n.value);while(!n.done)})()}const Pt=e=>new Promise(t=>setTimeout(t,e));function It(e,t){let n=0,s=0;const r=Tt({url:de,headers:()=>({Authorization:`Bearer ${e()}`}),retryAttempts:1/0,retry:async u=>{if(s===401||s===403)throw t.onState("rejected",`the server refused the token (${s}): get a new one`),new Ee("the server refused the token","FORBIDDEN");t.onState("reconnecting",s?`HTTP ${s}`:"connection lost"),await Pt(Re(u))},fetchFn:async(u,o)=>{s=0;const p=await fetch(u,o);return s=p.ok?0:p.status,p},on:{connecting:u=>t.onState(u?"reconnecting":"connecting"),connected:u=>{u&&n++,t.onState("live")}}});return{transport:"sse",subscriber:{subscribe:(u,o)=>r.subscribe(u,{next:p=>o.next(p),error:p=>o.error(p),complete:()=>o.complete()})},get reconnects(){return n},dispose:()=>r.dispose()}}const Oe={websocket:yt,sse:It,eventsource:bt};function Fe(e){return e!==null&&e in Oe}class kt{constructor(t,n="websocket"){this.tokenValue=t,this.transportValue=n}tokenValue;transportValue;live;listeners=new Set;get token(){return this.tokenValue}get transport(){return this.transportValue}get reconnects(){return this.live?.reconnects??0}listen(t){this.listeners.add(t)}liveClient(){if(!this.live){const t=Oe[this.transportValue](()=>this.tokenValue,{onState:(n,s)=>{if(this.live===t)for(const r of this.listeners)r.onConnection(n,s)}});this.live=t}return this.live}setToken(t){this.tokenValue=t.trim(),this.reset()}setTransport(t){this.transportValue=t,this.reset()}reset(){for(const t of this.listeners)t.onReset();this.live?.dispose(),this.live=void 0;for(const t of this.listeners)t.onConnection("idle")}}const Nt={CONFLICT:"Not recorded: you have already answered this pulse, or it is closed.",NOT_FOUND:"Not recorded: there is no such pulse.",FORBIDDEN:"Not recorded: only a student token can answer a pulse.",UNAUTHENTICATED:"Not recorded: the server refused the token; get a new one.",RATE_LIMITED:"Not recorded: too many requests; try again in a moment."};class At{constructor(t){this.session=t,t.listen({onReset:()=>this.stop(),onConnection:()=>{}}),l("answer-pulse").addEventListener("change",()=>this.follow()),l("answer-form").addEventListener("submit",n=>{n.preventDefault(),this.send()})}session;feed;following="";follow(){const t=l("answer-pulse").value.trim();t===this.following&&this.feed||(this.stop(),l("answer-pulse-title").textContent="",l("answer-pulse-state").textContent="",!(!t||!this.session.token)&&(this.following=t,this.feed=new Le(this.session.liveClient().subscriber,at,{id:t},{onState:({pulseState:n})=>{const s=n.closedAt!=null;l("answer-pulse-title").textContent=`“${n.title}”${s?" (closed)":""}`;const r=n.responses.edges[0]?.node,u=[s?"Closed":"Open",`${n.responseCount} ${n.responseCount===1?"answer":"answers"} so far`];r&&u.push(`your answer: “${r.answer}”${r.confidence?` (confidence ${r.confidence}/5)`:""}`);const o=l("answer-pulse-state");o.textContent=u.join(" · "),o.dataset.closed=String(s),o.dataset.answered=String(r!=null),l("send-answer").disabled=s},onError:(n,s)=>{l("answer-pulse-title").textContent=s==="NOT_FOUND"?"No such pulse.":"",s!=="NOT_FOUND"&&(l("answer-pulse-state").textContent=n)}}),this.feed.start()))}stop(){this.feed?.stop(),this.feed=void 0,this.following=""}async send(){const t=l("answer-result"),n=l("student-error");t.textContent="",n.textContent="";const s=l("answer-confidence").value;try{const{respondToPulse:r}=await oe(this.session.token,st,{input:{pulseId:l("answer-pulse").value.trim(),answer:l("answer-text").value,confidence:s?Number(s):null}});t.textContent=`Answer recorded at ${new Date(r.response.createdAt).toLocaleTimeString()}.`,l("answer-text").value=""}catch(r){n.textContent=r instanceof Z?(Nt[r.code]??r.message)+(r.code==="BAD_USER_INPUT"?` (${r.message})`:""):String(r)}}}const ye="edupulse.token";function ae(){return new URLSearchParams(location.hash.replace(/^#/,""))}function pe(e){const t=e.toString();history.replaceState(null,"",location.pathname+location.search+(t?"#"+t:""))}function Dt(){const e=ae(),t=e.get("token")?.trim();return t?(e.delete("token"),pe(e),Me(t),t):sessionStorage.getItem(ye)??""}function Me(e){e?sessionStorage.setItem(ye,e):sessionStorage.removeItem(ye)}function qe(e){const t=e.split(".")[1];if(!t)return null;try{const n=atob(t.replace(/-/g,"+").replace(/_/g,"/").padEnd(Math.ceil(t.length/4)*4,"=")),s=JSON.parse(n);return typeof s=="object"&&s!==null?s:null}catch{return null}}async function _t(){try{const e=await fetch(new URL("dev-tokens.json",location.origin+"/app/"),{cache:"no-store"});if(!e.ok)return[];const t=await e.json();return Array.isArray(t)?t.filter(n=>typeof n?.role=="string"&&typeof n?.token=="string"):[]}catch{return[]}}const Rt=50;class Ut{constructor(t){this.session=t;const n=l("histogram-rows");for(let s=1;s<=5;s++){const r=V("progress",{max:"1",value:"0","aria-label":`confidence ${s}`}),u=V("td",{class:"n","data-testid":`confidence-${s}`},"0");n.append(V("tr",{},V("th",{scope:"row"},String(s)),V("td",{class:"bar"},r),u)),this.rows.push({progress:r,count:u})}t.listen({onReset:()=>this.stop(),onConnection:()=>this.updateInfo()}),l("create-form").addEventListener("submit",s=>{s.preventDefault(),this.create(l("pulse-title").value)}),l("watch-form").addEventListener("submit",s=>{s.preventDefault();const r=l("watch-id").value.trim();r&&this.watchExisting(r)}),l("close-pulse").addEventListener("click",()=>{if(!this.feed)return;const s=this.feed.pulseId;oe(this.session.token,rt,{input:{pulseId:s}}).catch(r=>this.error(fe(r)))})}session;feed;stateFeed;answers=l("answers");rows=[];shown=0;get pulseId(){return this.feed?.pulseId}async create(t){try{const{createPulse:n}=await oe(this.session.token,nt,{input:{title:t}});this.watch(n.pulse.id,n.pulse.title,n.event.cursor,!1)}catch(n){this.error(fe(n))}}async watchExisting(t){try{const{pulse:n}=await oe(this.session.token,ot,{id:t});if(!n){this.error("No such pulse (or not visible to you).");return}this.watch(n.id,n.title,n.events.edges[0]?.cursor??null,n.closedAt!=null)}catch(n){this.error(fe(n))}}stop(){this.feed?.stop(),this.feed=void 0,this.stateFeed?.stop(),this.stateFeed=void 0,this.updateInfo()}watch(t,n,s,r){this.stop(),this.error(""),this.answers.replaceChildren(),this.shown=0,l("empty-hint").hidden=!1,this.showCount(0),this.showHistogram([0,0,0,0,0]),l("pulse-title-view").textContent=n,l("pulse-id").textContent=t,l("student-link").href=`#view=student&pulse=${encodeURIComponent(t)}`,l("pulse-card").hidden=!1,this.showClosed(r);const u=ae();u.set("pulse",t),pe(u);const o=this.session.liveClient().subscriber,p=(I,N)=>this.error(N==="FORBIDDEN"||N==="UNAUTHENTICATED"?"The server refused the token: paste a new one and watch again.":I);this.stateFeed=new Le(o,it,{id:t},{onState:I=>this.showState(I.pulseState),onError:p}),this.feed=new Te(o,t,s,{onEvent:I=>this.showEvent(I),onError:p}),this.stateFeed.start(),this.feed.start()}showState(t){this.showCount(t.responseCount),this.showHistogram(t.confidenceCounts),this.showClosed(t.closedAt!=null);const n=l("pulse-card");n.dataset.states=String(this.stateFeed?.states??0)}showCount(t){l("answer-count").textContent=String(t),l("answer-label").textContent=t===1?"answer":"answers"}showHistogram(t){const n=Math.max(1,...t);this.rows.forEach((s,r)=>{const u=t[r]??0;s.progress.max=n,s.progress.value=u,s.count.textContent=String(u)})}showClosed(t){const n=l("close-pulse");n.disabled=t,n.textContent=t?"Closed":"Close pulse";const s=l("pulse-card");t?s.dataset.closed="true":delete s.dataset.closed;const r=l("pulse-status");r.textContent=t?"closed":"open",r.dataset.closed=String(t)}showEvent(t){const n=t.payload;if(n.__typename==="LearningPulseResponded"){const s=n.response,r=[`student ${n.studentId.slice(0,8)}`];for(s?.confidence&&r.push(`confidence ${s.confidence}/5`),s&&r.push(new Date(s.createdAt).toLocaleTimeString()),this.answers.append(V("li",{"data-testid":"answer","data-event-id":t.id,"data-version":String(t.version)},V("span",{class:"answer-text"},s?s.answer:"(answer not visible to you)"),V("span",{class:"muted"},r.join(" · ")))),this.shown++;this.answers.childElementCount>Rt;)this.answers.firstElementChild?.remove();l("empty-hint").hidden=!0}else t.type==="LEARNING_PULSE_CLOSED"&&this.showClosed(!0);this.updateInfo()}updateInfo(){const t=l("feed-info"),n=this.feed;if(!n){t.textContent="";return}const s=this.session.reconnects;t.dataset.reconnects=String(s),t.dataset.repeats=String(n.repeatsDropped),t.dataset.lastCursor=n.lastCursor??"",t.dataset.transport=this.session.transport,t.dataset.shown=String(this.shown),t.textContent=s?`reconnected ${s}× and resumed from the last event seen`:""}error(t){l("teacher-error").textContent=t}}const Lt=Dt(),re=ae(),Ne=re.get("transport"),F=new kt(Lt,Fe(Ne)?Ne:"websocket"),ie=new Ut(F),je=new At(F),$e=l("token-input"),Ot={idle:"not subscribed",connecting:"connecting…",live:"live",reconnecting:"reconnecting…",rejected:"token refused"};function We(e,t){const n=l("status");n.dataset.state=e,n.textContent=Ot[e],n.title=t??"",n.dataset.reconnects=String(F.reconnects)}F.listen({onReset:()=>{},onConnection:We});const ge=l("transport");ge.value=F.transport;ge.addEventListener("change",()=>{const e=ge.value;if(!Fe(e))return;const t=ae();e==="websocket"?t.delete("transport"):t.set("transport",e),pe(t);const n=ie.pulseId;F.setTransport(e),n&&ie.watchExisting(n),Be()==="student"&&je.follow()});async function le(e,t=!0){const n=ie.pulseId;F.setToken(e);const s=F.token;Me(s),$e.value=s;const r=l("whoami");if(!s){r.textContent="No token yet.";return}const u=qe(s),o=u?.role?.toLowerCase();t&&o==="student"?ue("student"):t&&(o==="teacher"||o==="admin")&&ue("teacher");try{const{viewer:p}=await oe(s,tt);r.textContent=`Signed in as ${p.role.toLowerCase()} ${p.id}`+(u?.exp?` · token valid until ${new Date(u.exp*1e3).toLocaleString()}`:""),r.className="muted",n&&p.role!=="STUDENT"&&ie.watchExisting(n),Be()==="student"&&je.follow()}catch(p){r.textContent=p instanceof Z&&p.code==="UNAUTHENTICATED"?"The server refused this token (expired, or signed with another secret): get a new one.":`Could not check the token: ${String(p instanceof Error?p.message:p)}`,r.className="error"}}l("token-form").addEventListener("submit",e=>{e.preventDefault(),le($e.value)});async function Ft(){const e=await _t();if(!e.length)return;const t=l("dev-tokens");for(const n of e){const s=V("button",{type:"button","data-testid":`dev-token-${n.role}`},`Use ${n.role} token`);s.addEventListener("click",()=>{le(n.token)}),t.append(s)}t.hidden=!1,F.token||await le(e[0].token)}function Be(){return l("student-view").hidden?"teacher":"student"}function ue(e){l("teacher-view").hidden=e!=="teacher",l("student-view").hidden=e!=="student";for(const n of document.querySelectorAll(".tabs button"))n.setAttribute("aria-pressed",String(n.dataset.view===e));const t=ae();t.set("view",e),pe(t)}for(const e of document.querySelectorAll(".tabs button"))e.addEventListener("click",()=>ue(e.dataset.view));function Mt(){const e=re.get("pulse");e&&(l("answer-pulse").value=e,l("watch-id").value=e),ue(re.get("view")==="student"?"student":"teacher"),$e.value=F.token,We("idle"),(async()=>{F.token&&await le(F.token,!re.has("view")),await Ft();const t=qe(F.token);e&&F.token&&t?.role!=="student"&&re.get("view")!=="student"&&await ie.watchExisting(e)})()}Mt();
